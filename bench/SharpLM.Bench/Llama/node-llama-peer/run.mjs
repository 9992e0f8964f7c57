// One timed node-llama-cpp run, llama-bench style, mirroring LlamaCppRunner.cs:
//   node run.mjs MODEL THREADS PP TG SEED
// prefill = one batch of PP random token ids into an empty cache (logits for the last only);
// decode  = TG single-token steps from an empty cache, random ids (no tokenizer, no sampling).
// Prints one JSON line in RunResult's format on stdout; llama.cpp's own log (warnings) goes to stderr.
import {getLlama, LlamaLogLevel} from "node-llama-cpp";

const [modelPath, threadsArg, ppArg, tgArg, seedArg] = process.argv.slice(2);
if (!seedArg) { console.error("usage: node run.mjs MODEL THREADS PP TG SEED"); process.exit(2); }
const threads = Number(threadsArg), pp = Number(ppArg), tg = Number(tgArg);
let state = Number(seedArg) >>> 0;
const nextId = vocab => { state = (Math.imul(state, 1103515245) + 12345) >>> 0; return state % vocab; };

// ggml loads one of several CPU backend builds (sse42 … skylakex, cascadelake, icelake, zen4) by what this CPU
// supports; its debug-level log names the one it took, which goes into the result's note.
let cpuVariant = "unknown";
const t0 = performance.now();
const llama = await getLlama({
    gpu: false, build: "never", maxThreads: threads,
    logLevel: LlamaLogLevel.debug,
    logger: (level, message) => {
        const m = /libggml-cpu-([\w-]+)\.so/.exec(message);
        if (m) cpuVariant = m[1];
        if (level === LlamaLogLevel.warn || level === LlamaLogLevel.error || level === LlamaLogLevel.fatal)
            process.stderr.write(message + "\n");
    },
});
const model = await llama.loadModel({modelPath, gpuLayers: 0});
// The warm-up prompt's length, as LlamaSuite.WarmupTokens: long enough for ggml's multi-token path.
const warmupTokens = 32;
const context = await model.createContext({contextSize: Math.max(pp + tg, warmupTokens) + 8, batchSize: Math.max(pp, warmupTokens), threads, sequences: 1});
const sequence = context.getSequence();
const vocab = model.fileInsights.tokens?.length ?? model.tokens.sizes?.vocab ?? 262144;
const load = (performance.now() - t0) / 1000;

// Warm-up (llama-bench runs one too): a prompt of warmupTokens, then an empty cache.
await sequence.evaluateWithoutGeneratingNewTokens(Array.from({length: warmupTokens}, () => nextId(vocab)));
await sequence.clearHistory();

const prompt = Array.from({length: pp}, () => nextId(vocab));
let t = performance.now();
await sequence.evaluateWithoutGeneratingNewTokens(prompt);
const ppSec = (performance.now() - t) / 1000;
await sequence.clearHistory();

t = performance.now();
for (let i = 0; i < tg; i++) await sequence.evaluateWithoutGeneratingNewTokens([nextId(vocab)]);
const tgSec = (performance.now() - t) / 1000;

console.log(JSON.stringify({
    engine: "node-llama-cpp", pp_tokens: pp, tg_tokens: tg,
    pp_tps: pp / ppSec, tg_tps: tg / tgSec,
    peak_rss_bytes: process.resourceUsage().maxRSS * 1024, load_seconds: load,
    note: `node-llama-cpp 3.22.1, ggml CPU backend ${cpuVariant}, node ${process.version}`,
}));
await context.dispose(); await model.dispose(); await llama.dispose();
