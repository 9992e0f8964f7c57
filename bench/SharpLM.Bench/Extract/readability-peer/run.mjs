// Times Mozilla Readability (on jsdom) over the pages listed in a manifest, for `SharpLM.Bench extract`.
// usage: node run.mjs MANIFEST.json   (manifest: {"sets": {"name": ["page.html", ...]}, "rounds": N})
// Prints one JSON object: {"name": {"pages": n, "seconds": s, "chars": c}, ...}, timing `rounds` passes after one warm-up pass.
import { readFileSync } from "node:fs";
import { JSDOM, VirtualConsole } from "jsdom";
import { Readability } from "@mozilla/readability";

const manifest = JSON.parse(readFileSync(process.argv[2], "utf8"));
const quiet = new VirtualConsole(); // pages' CSS/JS errors are not ours to print

function extract(html) {
  const dom = new JSDOM(html, { url: "http://fakehost/test/page.html", virtualConsole: quiet });
  const article = new Readability(dom.window.document).parse();
  const n = article && article.textContent ? article.textContent.length : 0;
  dom.window.close();
  return n;
}

const result = {};
for (const [name, files] of Object.entries(manifest.sets)) {
  const pages = files.map((f) => readFileSync(f, "utf8"));
  for (const html of pages) extract(html); // warm-up pass
  let chars = 0;
  const start = process.hrtime.bigint();
  for (let r = 0; r < manifest.rounds; r++) for (const html of pages) chars += extract(html);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  result[name] = { pages: pages.length * manifest.rounds, seconds, chars };
}
process.stdout.write(JSON.stringify(result) + "\n");
