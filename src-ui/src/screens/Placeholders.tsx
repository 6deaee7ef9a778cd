export function Voice() {
  return (
    <>
      <header className="screen-header">
        <h1 tabIndex={-1}>Voice</h1>
      </header>
      <p className="lead">Voice is not built yet.</p>
      <p className="muted">It will let you talk to Jarvis with push-to-talk, using on-device speech-to-text.</p>
    </>
  );
}
