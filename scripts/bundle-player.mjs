// Bundle the IVS Player Web SDK from npm into one browser file that sets window.IVSPlayer.
// The npm package ships no ready browser build, and the offline run and the tests must not load
// the SDK from its CDN, so they serve this bundle and the two worker files from 127.0.0.1.
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "build", "ivs-player");
const assets = join(root, "node_modules", "amazon-ivs-player", "dist", "assets");

mkdirSync(outDir, { recursive: true });
await build({
  stdin: {
    contents: "import * as IVSPlayer from 'amazon-ivs-player'; window.IVSPlayer = IVSPlayer;",
    resolveDir: root,
  },
  bundle: true,
  format: "iife",
  minify: true,
  outfile: join(outDir, "amazon-ivs-player.js"),
  logLevel: "warning",
});
for (const name of ["amazon-ivs-wasmworker.min.js", "amazon-ivs-wasmworker.min.wasm"]) {
  copyFileSync(join(assets, name), join(outDir, name));
}
console.log(`IVS player bundle written to ${outDir}`);
