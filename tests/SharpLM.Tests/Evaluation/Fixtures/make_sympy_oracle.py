#!/usr/bin/env python3
"""Builds sympy_oracle.jsonl: (gold, variant, equal) triples decided by sympy, an independent CAS.

Golds are MATH test answers that sympy's LaTeX parser (Lark backend, sympy >= 1.13) reads as a scalar. Each gold
is re-spelled by sympy's own LaTeX printer in several forms (printed, expanded, simplified, factored) and perturbed
(+1, x2, a changed constant); the verdict is lm-eval's Minerva rule, simplify(parse(gold) - parse(variant)) == 0.
The pairs test that our parser reads another writer's LaTeX and that our exact engine agrees with sympy.

usage: make_sympy_oracle.py SHARED_DATA_DIR > sympy_oracle.jsonl   (needs sympy >= 1.13 and lark)
"""
import json, random, re, signal, sys
sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-lark
import sympy
from sympy.parsing.latex import parse_latex


class Timeout(Exception):
    pass


def on_alarm(signum, frame):
    raise Timeout()


signal.signal(signal.SIGALRM, on_alarm)


def timed(f, seconds=5):
    signal.alarm(seconds)
    try:
        return f()
    finally:
        signal.alarm(0)


def parse(s):
    return parse_latex(s, backend="lark")


rng = random.Random(0)
golds = []
for line in open(f"{sys.argv[1]}/math/test.jsonl", encoding="utf-8"):
    sol = json.loads(line)["solution"]
    i = sol.rfind("\\boxed{")
    if i < 0:
        continue
    depth, j = 0, i + 6
    while j < len(sol):
        depth += sol[j] == "{"
        depth -= sol[j] == "}"
        if depth == 0:
            break
        j += 1
    g = sol[i + 7:j]
    if any(t in g for t in [",", "\\text", "\\in", "\\cup", "=", "<", ">", "\\le", "\\ge", "\\pm", "\\begin", "^\\circ", "%", "\\$", "_", "!", "\\infty", "\\mbox", "\\%", "\\!", "\\,"]):
        continue
    if re.search(r"(?<![A-Za-z\\])i(?![A-Za-z])", g):  # the imaginary unit: sympy's parser reads it as a variable
        continue
    golds.append(g)
rng.shuffle(golds)
# every non-integer gold first (fractions, radicals, pi, polynomials), then some integers
golds = [g for g in golds if not g.strip().lstrip("-").isdigit()] + [g for g in golds if g.strip().lstrip("-").isdigit()][:60]

out, seen = 0, set()
for g in golds:
    if out >= 1200 or g in seen:
        continue
    seen.add(g)
    try:
        e = timed(lambda: parse(g))
        if not e.is_Number and not e.free_symbols and len(str(e)) > 60:
            continue
        variants = [
            sympy.latex(e),
            timed(lambda: sympy.latex(sympy.expand(e))),
            timed(lambda: sympy.latex(sympy.simplify(e))),
            timed(lambda: sympy.latex(sympy.factor(e))),
            sympy.latex(e + 1),
            sympy.latex(2 * e),
            sympy.latex(e.subs({s: s + 1 for s in e.free_symbols})) if e.free_symbols else sympy.latex(e + sympy.Rational(1, 7)),
        ]
    except Exception:
        continue
    for v in dict.fromkeys(variants):
        try:
            equal = bool(timed(lambda: sympy.simplify(e - parse(v)) == 0))
        except Exception:
            continue
        print(json.dumps({"gold": g, "variant": v, "equal": equal}, ensure_ascii=False))
        out += 1
