import { useEffect, useRef, useState } from "react";

type CopyState = "idle" | "copied" | "failed";

/** Copies `text` with the async clipboard API and says so for a moment. */
export function CopyButton({ text, label = "Copy", testId, className }: { text: string; label?: string; testId?: string; className?: string }) {
  const [state, setState] = useState<CopyState>("idle");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );

  const show = (s: CopyState) => {
    setState(s);
    if (timer.current !== null) clearTimeout(timer.current);
    timer.current = setTimeout(() => setState("idle"), 1_500);
  };

  const onClick = async () => {
    try {
      if (!navigator.clipboard) throw new Error("no clipboard");
      await navigator.clipboard.writeText(text);
      show("copied");
    } catch {
      show("failed");
    }
  };

  return (
    <button type="button" className={className ?? "copy-button"} data-testid={testId} onClick={() => void onClick()} data-state={state}>
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}
      <span className="visually-hidden" role="status">
        {state === "copied" ? "Copied to the clipboard" : state === "failed" ? "Could not copy" : ""}
      </span>
    </button>
  );
}
