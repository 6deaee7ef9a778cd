import type { Element, ElementContent, Root, RootContent } from "hast";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import dockerfile from "highlight.js/lib/languages/dockerfile";
import go from "highlight.js/lib/languages/go";
import ini from "highlight.js/lib/languages/ini";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import markdown from "highlight.js/lib/languages/markdown";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import shell from "highlight.js/lib/languages/shell";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { createLowlight } from "lowlight";

/**
 * highlight.js (through lowlight, which yields a syntax tree instead of an HTML string) with a
 * handful of common languages only, to keep the bundle small. Aliases come with the grammars
 * (js, ts, tsx, py, rs, sh, html, yml, toml…).
 */
export const lowlight = createLowlight({
  bash,
  c,
  cpp,
  css,
  diff,
  dockerfile,
  go,
  ini,
  java,
  javascript,
  json,
  markdown,
  python,
  rust,
  shell,
  sql,
  typescript,
  xml,
  yaml,
});

/** The plain text inside a hast node. */
export function hastText(node: Root | RootContent | ElementContent): string {
  if (node.type === "text") return node.value;
  if ("children" in node) return node.children.map((child) => hastText(child)).join("");
  return "";
}

function classList(el: Element): string[] {
  const c: unknown = el.properties.className;
  if (Array.isArray(c)) return c.map(String);
  if (typeof c === "string") return c.split(/\s+/);
  return [];
}

/** `language-rust` on a `<code>` element → "rust"; null when it has none. */
export function codeLanguage(code: Element): string | null {
  for (const name of classList(code)) {
    if (name.startsWith("language-")) return name.slice("language-".length).toLowerCase();
  }
  return null;
}

function highlightCode(code: Element) {
  const lang = codeLanguage(code);
  code.properties.className = [...classList(code), "hljs"];
  if (!lang || !lowlight.registered(lang)) return;
  try {
    const result = lowlight.highlight(lang, hastText(code));
    code.children = result.children as ElementContent[];
  } catch {
    // leave the code as plain text
  }
}

function visit(node: Root | Element) {
  for (const child of node.children) {
    if (child.type !== "element") continue;
    const first = child.children[0];
    if (child.tagName === "pre" && child.children.length === 1 && first?.type === "element" && first.tagName === "code") {
      highlightCode(first);
    } else {
      visit(child);
    }
  }
}

/** A rehype plugin: highlight fenced code blocks (`<pre><code class="language-x">`). */
export function rehypeHighlightCode() {
  return (tree: Root) => {
    visit(tree);
  };
}
