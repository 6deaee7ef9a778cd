import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Markdown } from "./Markdown";
import { Snippet } from "./Snippet";

function stubClipboard() {
  const writeText = vi.fn(async (_text: string) => {});
  Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
  return writeText;
}

afterEach(() => {
  Reflect.deleteProperty(navigator, "clipboard");
});

const SAMPLE = [
  "Here is **bold** and a [link](https://example.com).",
  "",
  "```rust",
  'fn main() { println!("hi"); }',
  "```",
  "",
  "| a | b |",
  "|---|---|",
  "| 1 | 2 |",
].join("\n");

describe("Markdown", () => {
  it("renders GFM with a highlighted code block that has a copy button", async () => {
    const writeText = stubClipboard();
    const { container } = render(<Markdown text={SAMPLE} />);
    expect(container.querySelector("strong")?.textContent).toBe("bold");
    expect(container.querySelector("table td")?.textContent).toBe("1");
    const link = screen.getByRole("link", { name: "link" });
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("rel")).toContain("noreferrer");

    const block = screen.getByTestId("code-block");
    expect(within(block).getByText("rust")).toBeTruthy();
    const code = block.querySelector("pre > code")!;
    expect(code.classList.contains("hljs")).toBe(true);
    expect(code.classList.contains("language-rust")).toBe(true);
    // Highlighted: keywords and strings are wrapped in hljs spans.
    expect(code.querySelector(".hljs-keyword")?.textContent).toBe("fn");
    expect(code.querySelector(".hljs-string")?.textContent).toBe('"hi"');
    expect(code.textContent).toBe('fn main() { println!("hi"); }\n');

    const copy = within(block).getByTestId("copy-code");
    await act(async () => {
      fireEvent.click(copy);
    });
    expect(writeText).toHaveBeenCalledWith('fn main() { println!("hi"); }');
    expect(copy.textContent).toContain("Copied");
  });

  it("gives every code block its own copy button, also for unknown or no language", () => {
    stubClipboard();
    render(<Markdown text={"```\nplain\n```\n\n```brainfuck\n+++.\n```\n\nand `inline`"} />);
    expect(screen.getAllByTestId("copy-code")).toHaveLength(2);
    const [plain, unknown] = screen.getAllByTestId("code-block");
    expect(within(plain!).getByText("text")).toBeTruthy();
    expect(unknown!.querySelector("code")!.textContent).toBe("+++.\n");
    expect(unknown!.querySelector("[class^=hljs-]")).toBeNull();
  });

  it("says so when the clipboard refuses", async () => {
    Object.defineProperty(navigator, "clipboard", {
      value: { writeText: vi.fn(async () => Promise.reject(new Error("denied"))) },
      configurable: true,
    });
    render(<Markdown text={"```js\nlet a = 1;\n```"} />);
    const copy = screen.getByTestId("copy-code");
    await act(async () => {
      fireEvent.click(copy);
    });
    expect(copy.textContent).toContain("Copy failed");
  });

  it("never renders raw HTML or script links", () => {
    const { container } = render(
      <Markdown text={'<img src=x onerror="alert(1)"> <b>bold?</b>\n\n[click](javascript:alert(1))\n\n<script>alert(1)</script>'} />,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror="alert(1)">');
    const link = screen.getByText("click").closest("a");
    expect(link?.getAttribute("href") ?? "").not.toContain("javascript");
  });
});

describe("Snippet", () => {
  it("marks the hit parts and renders everything as text", () => {
    const { container } = render(
      <p>
        <Snippet
          parts={[
            { text: "before ", hit: false },
            { text: "<img src=x onerror=alert(1)>", hit: true },
            { text: " after <b>x</b>", hit: false },
          ]}
        />
      </p>,
    );
    const marks = container.querySelectorAll("mark");
    expect(marks).toHaveLength(1);
    expect(marks[0]!.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe("before <img src=x onerror=alert(1)> after <b>x</b>");
  });
});
