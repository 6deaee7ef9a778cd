import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { MaskedKey, maskedKeyText } from "./MaskedKey";

describe("MaskedKey", () => {
  it("renders exactly the mask followed by the hint", () => {
    render(<MaskedKey provider={{ has_key: true, key_hint: "wxyz" }} />);
    expect(screen.getByTestId("provider-key").textContent).toBe("••••wxyz");
  });

  it("says 'no key' when there is none, even if a hint is somehow present", () => {
    expect(maskedKeyText({ has_key: false, key_hint: "leak" })).toBe("no key");
    render(<MaskedKey provider={{ has_key: false, key_hint: null }} />);
    expect(screen.getByTestId("provider-key").textContent).toBe("no key");
  });

  it("renders only the mask when the server sends no hint", () => {
    expect(maskedKeyText({ has_key: true, key_hint: null })).toBe("••••");
  });

  it("never puts anything other than the hint into the DOM (no attributes carrying a key)", () => {
    const { container } = render(<MaskedKey provider={{ has_key: true, key_hint: "9f3a" }} />);
    const html = container.innerHTML;
    expect(html).toContain("••••9f3a");
    // The hint appears once, only as text.
    expect(html.split("9f3a")).toHaveLength(2);
  });
});
