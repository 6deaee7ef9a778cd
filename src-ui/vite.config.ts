import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// jarvisd listens here by default; `npm run dev` proxies API calls to it.
const JARVISD = process.env.JARVISD_URL ?? "http://127.0.0.1:7878";

export default defineConfig({
  // The SPA is served at "/" by jarvisd and by the Tauri asset protocol.
  base: "/",
  plugins: [react()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": { target: JARVISD, changeOrigin: true, ws: true },
      "/health": { target: JARVISD, changeOrigin: true },
    },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["./src/test/setup.ts"],
    restoreMocks: true,
    testTimeout: 20000,
  },
});
