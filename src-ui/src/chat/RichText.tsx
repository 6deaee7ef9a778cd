import { lazy, Suspense } from "react";

// The Markdown renderer and highlighter are the biggest part of the bundle: load them only
// when a message is shown, as their own chunk.
const Markdown = lazy(() => import("./Markdown").then((m) => ({ default: m.Markdown })));

/** An assistant's Markdown; the plain text stands in for the moment the renderer loads. */
export function RichText({ text }: { text: string }) {
  return (
    <Suspense fallback={<div className="markdown markdown-loading">{text}</div>}>
      <Markdown text={text} />
    </Suspense>
  );
}
