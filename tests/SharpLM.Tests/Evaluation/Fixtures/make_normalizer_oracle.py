#!/usr/bin/env python3
"""Builds normalizer_oracle.jsonl: outputs of the reference implementations on many inputs.

The reference functions are NOT part of this repository. Pass the paths of the upstream files; the script
executes the named functions from them with CPython and records input -> output pairs:
  lighteval   src/lighteval/metrics/normalizations.py   math_normalizer, gsm8k_normalizer
  lm-eval     lm_eval/tasks/minerva_math/utils.py        normalize_final_answer (with SUBSTITUTIONS, REMOVED_EXPRESSIONS)
  lm-eval     gsm8k "flexible-extract" filter            regex (-?[$0-9.,]{2,})|(-?[0-9]+), last match, then
                                                         regexes_to_ignore [",", "\\$", "(?s).*#### ", "\\.$"] (from gsm8k.yaml)

usage: make_normalizer_oracle.py LIGHTEVAL_NORMALIZATIONS_PY LMEVAL_MINERVA_UTILS_PY SHARED_DATA_DIR > normalizer_oracle.jsonl
"""
import ast, json, random, re, sys


def load_functions(path, names, consts=()):
    tree = ast.parse(open(path, encoding="utf-8").read())
    keep = [n for n in tree.body if (isinstance(n, ast.FunctionDef) and n.name in names)
            or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) in consts for t in n.targets))]
    ns = {"re": re}
    exec(compile(ast.Module(body=keep, type_ignores=[]), path, "exec"), ns)
    return ns


lighteval = load_functions(sys.argv[1], {"math_normalizer", "gsm8k_normalizer"})
minerva = load_functions(sys.argv[2], {"normalize_final_answer"}, {"SUBSTITUTIONS", "REMOVED_EXPRESSIONS"})
data = sys.argv[3]


def flexible(text):
    matches = re.findall(r"(-?[$0-9.,]{2,})|(-?[0-9]+)", text)
    if not matches:
        return None
    m = matches[-1]
    m = m[0] if m[0] else m[1]
    for pat in [",", "\\$", "(?s).*#### ", "\\.$"]:
        m = re.sub(pat, "", m)
    return m.strip()


inputs = [
    "\\boxed{5}", "\\boxed{\\frac12}", "\\boxed{\\dfrac{3}{4}}", "\\boxed{0.5}", "\\boxed{.5}", "\\boxed{x = 3}",
    "\\boxed{k=\\frac{1}{2}}", "\\boxed{10\\text{ cm}}", "\\boxed{50\\%}", "\\boxed{90^\\circ}", "\\boxed{90^{\\circ}}",
    "\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\boxed{\\sqrt3}", "\\boxed{2\\sqrt2}", "\\boxed{1/2}", "\\boxed{-1/2}",
    "\\boxed{01/2}", "\\boxed{\\$5.00}", "\\boxed{10,\\!000}", "\\boxed{\\frac1{72}}", "\\boxed{\\frac{72}1}", "no box at all",
    "\\boxed 5", "text \\boxed 5$ more", "\\fbox{7}", "\\boxed{1} then \\boxed{2}", "\\boxed{\\boxed{3}}", "\\boxed{",
    "\\boxed{\\sqrt}", "\\boxed{\\frac}", "\\boxed{ .3 + .4}", "\\boxed{a=b=c}", "\\boxed{abc = 5}", "\\boxed{\\text{ meters}}",
    "\\boxed{\\tfrac{1}{3}}", "\\boxed{\\!1\\!}", "\\boxed{\\\\frac{1}{2}}", "\\boxed{ 5 }", "#### 18", "#### -3", "#### 1,234",
    "#### 3.50", "####18", "The answer is 18.", "#### 18\n#### 19", "So $5 each... #### $40", "Final Answer: The final answer is $24$. I hope it is correct.",
    "Final Answer: The final answer is $\\frac{2}{3}$. I hope it is correct.", "$\\boxed{12}$ dollars", "12 inches", "\\text{odd}",
    "5 \\text{ feet}", "x=5", "\\$1,000", "1,000,000", "\\overline{AB}", "\\textbf{(C)}", "y = 2x+3", "\\frac ab", "\\sqrt ab",
]
rng = random.Random(0)
for line in open(f"{data}/math/math500_test.jsonl", encoding="utf-8"):
    sol = json.loads(line)["solution"]
    inputs.append(sol[-300:])
for line in rng.sample(open(f"{data}/math/test.jsonl", encoding="utf-8").read().splitlines(), 150):
    rec = json.loads(line)
    inputs.append(rec["solution"][-300:])
for line in rng.sample(open(f"{data}/gsm8k/test.jsonl", encoding="utf-8").read().splitlines(), 150):
    ans = json.loads(line)["answer"]
    inputs.append(ans)
    inputs.append(ans.split("####")[0])  # reasoning without the final line: the flexible rule's case

for text in inputs:
    rec = {"input": text}
    try:
        rec["hendrycks"] = lighteval["math_normalizer"](text)
    except Exception as e:  # the Python raises on a few malformed inputs; recorded, not compared
        rec["hendrycks_error"] = type(e).__name__
    rec["gsm8k_reference"] = lighteval["gsm8k_normalizer"](text)
    try:
        rec["minerva"] = minerva["normalize_final_answer"](text)
    except Exception as e:
        rec["minerva_error"] = type(e).__name__
    rec["flexible"] = flexible(text)
    print(json.dumps(rec, ensure_ascii=False))
