import { Fragment } from "react";
import type { SnippetPart } from "../bindings/SnippetPart";

/** A search snippet: the matching parts in `<mark>`, everything as text (never as HTML). */
export function Snippet({ parts }: { parts: readonly SnippetPart[] }) {
  return (
    <>
      {parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <Fragment key={i}>{p.text}</Fragment>))}
    </>
  );
}
