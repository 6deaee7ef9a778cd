import { cleanup, configure } from "@testing-library/react";
import { afterEach } from "vitest";

// CI runs these on two busy cores: give findBy/waitFor room beyond the 1 s
// default so a slow machine is not mistaken for a broken screen.
configure({ asyncUtilTimeout: 5000 });

afterEach(() => {
  cleanup();
  window.sessionStorage.clear();
  window.location.hash = "";
});
