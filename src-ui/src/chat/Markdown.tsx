import { memo } from "react";
import type { ComponentProps } from "react";
import ReactMarkdown from "react-markdown";
import type { Components, ExtraProps } from "react-markdown";
import remarkGfm from "remark-gfm";
import { CopyButton } from "./CopyButton";
import { codeLanguage, hastText, rehypeHighlightCode } from "./highlight";

/** A fenced code block: a header with the language and a copy button, then the highlighted code. */
function CodeBlock({ node, children }: ComponentProps<"pre"> & ExtraProps) {
  const code = node?.children.find((c) => c.type === "element" && c.tagName === "code");
  const lang = code?.type === "element" ? codeLanguage(code) : null;
  // The text as written (the highlighter only wraps it in spans), without the final newline.
  const text = (node ? hastText(node) : "").replace(/\n$/, "");
  return (
    <div className="code-block" data-testid="code-block">
      <div className="code-block-bar">
        <span className="code-block-lang">{lang ?? "text"}</span>
        <CopyButton text={text} testId="copy-code" label="Copy code" />
      </div>
      <pre>{children}</pre>
    </div>
  );
}

function Link({ node: _node, href, children, ...rest }: ComponentProps<"a"> & ExtraProps) {
  // Open links outside the app window, never in place of it.
  return (
    <a {...rest} href={href} target="_blank" rel="noreferrer noopener">
      {children}
    </a>
  );
}

const components: Components = {
  pre: CodeBlock,
  a: Link,
  // Wide tables scroll on their own instead of stretching the message.
  table: ({ node: _node, ...props }) => (
    <div className="md-table-wrap">
      <table {...props} />
    </div>
  ),
};

const remarkPlugins = [remarkGfm];
const rehypePlugins = [rehypeHighlightCode];

/**
 * Markdown as an assistant writes it (GitHub flavour), with highlighted code.
 * Raw HTML in the text is never rendered as HTML: react-markdown shows it as text, and
 * `javascript:` and similar links are dropped by its default URL filter.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={remarkPlugins} rehypePlugins={rehypePlugins} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
