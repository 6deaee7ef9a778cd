const PATHS = {
  edit: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  pin: "M9 4h6l-1 6 3 3H7l3-3-1-6zM12 13v7",
  unpin: "M9 4h6l-1 6 3 3H7l3-3-1-6zM12 13v7M4 4l16 16",
  trash: "M5 7h14M10 7V5h4v2M7 7l1 13h8l1-13",
  plus: "M12 5v14M5 12h14",
  search: "M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4",
  close: "M6 6l12 12M18 6L6 18",
} as const;

export type IconName = keyof typeof PATHS;

/** A small stroke icon; decorative (the button around it carries the label). */
export function Icon({ name }: { name: IconName }) {
  return (
    <svg viewBox="0 0 24 24" className="icon" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} />
    </svg>
  );
}
