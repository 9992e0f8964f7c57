using System.Globalization;

namespace SharpLM.Evaluation.Equivalence;

/// <summary>
/// Recursive-descent parser from (cleaned) LaTeX to an <see cref="AnswerValue"/>. It reads what final answers
/// contain: numbers, variables with subscripts, Greek letters, <c>+ - \pm \cdot \times / \div ^ !</c>, implicit
/// products (<c>2\sqrt{3}</c>, <c>(x+1)(x-1)</c>), <c>\frac</c> (also <c>\frac12</c>), <c>\sqrt[n]{}</c>,
/// <c>\binom</c>, functions (<c>\sin^2 x</c>, <c>\log_2 8</c>), <c>|x|</c>, floor/ceil, mixed numbers
/// (<c>1\frac{4}{5}</c> = 9/5), tuples, intervals, <c>\{sets\}</c>, <c>\cup</c>, comma lists, relation chains
/// (<c>x = 5</c>, <c>a &lt; x \le b</c>, <c>x \in [2,5)</c>) and matrices. Anything else is a parse failure
/// (null), never a guess.
/// </summary>
public sealed class LatexParser
{
    const int MaxDepth = 200;
    const int MaxLength = 4000;

    static readonly HashSet<string> Greek =
    [
        "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota", "kappa",
        "lambda", "mu", "nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
        "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Phi", "Psi", "Omega",
    ];

    static readonly HashSet<string> Functions =
    [
        "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "log", "ln", "exp", "lg",
    ];

    /// <summary>Relation commands and their canonical op.</summary>
    static readonly Dictionary<string, string> RelationCommands = new()
    {
        ["le"] = "<=", ["leq"] = "<=", ["leqslant"] = "<=", ["ge"] = ">=", ["geq"] = ">=", ["geqslant"] = ">=",
        ["lt"] = "<", ["gt"] = ">", ["ne"] = "!=", ["neq"] = "!=", ["approx"] = "~", ["equiv"] = "=", ["in"] = "in",
    };

    readonly string _s;
    int _pos;
    int _depth;
    int _absDepth;

    LatexParser(string s) => _s = s;

    /// <summary>Parses a whole answer; null when it is empty or not understood.</summary>
    public static AnswerValue? TryParseAnswer(string latex)
    {
        if (string.IsNullOrWhiteSpace(latex) || latex.Length > MaxLength) return null;
        var p = new LatexParser(latex);
        try
        {
            var v = p.ParseList(closer: null);
            p.SkipSpace();
            return p._pos == p._s.Length ? v : null;
        }
        catch (LatexParseException) { return null; }
    }

    /// <summary>Parses a single scalar expression; null when not understood.</summary>
    public static MathNode? TryParseExpression(string latex)
    {
        if (string.IsNullOrWhiteSpace(latex) || latex.Length > MaxLength) return null;
        var p = new LatexParser(latex);
        try
        {
            var n = p.ParseExpression();
            p.SkipSpace();
            return p._pos == p._s.Length ? n : null;
        }
        catch (LatexParseException) { return null; }
    }

    // ---- structure ---------------------------------------------------------------------------------------------

    AnswerValue ParseList(string? closer)
    {
        Enter();
        var items = new List<AnswerValue> { ParseRelation() };
        while (true)
        {
            SkipSpace();
            if (Peek() is ',' or ';')
            {
                _pos++;
                while (Peek() is ',' or ';') _pos++; // "7, -2, \text{ and } -5" leaves an empty item
                items.Add(ParseRelation());
                continue;
            }
            break;
        }
        Leave();
        return items.Count == 1 ? items[0] : new SetValue(items, Braced: false);
    }

    AnswerValue ParseRelation()
    {
        var sides = new List<AnswerValue> { ParseUnion() };
        var ops = new List<string>();
        while (TryRelationOp(out var op))
        {
            ops.Add(op);
            sides.Add(ParseUnion());
        }
        if (ops.Count == 0) return sides[0];
        if (ops.Contains("in"))
        {
            // "x \in S" (possibly "x, y \in S"): the answer is the set on the right
            if (ops.Count != 1) throw Fail("chained \\in");
            return sides[1];
        }
        if (sides.All(x => x is ExprValue { Percent: false }))
            return new RelationValue(sides.Select(x => ((ExprValue)x).Node).ToList(), ops);
        // "(p, q) = (3, 2)": an assignment to a structure; its value is the last side
        if (ops.All(o => o is "=" or "~")) return sides[^1];
        throw Fail("relation between non-scalars");
    }

    AnswerValue ParseUnion()
    {
        var parts = new List<AnswerValue> { ParseItem() };
        while (TryCommand("cup")) parts.Add(ParseItem());
        return parts.Count == 1 ? parts[0] : new UnionValue(parts);
    }

    AnswerValue ParseItem()
    {
        SkipSpace();
        if (TryCommand("emptyset") || TryCommand("varnothing")) return new EmptySetValue();
        if (LookingAt("\\{"))
        {
            _pos += 2;
            SkipSpace();
            if (LookingAt("\\}")) { _pos += 2; return new EmptySetValue(); }
            var inner = ParseList("\\}");
            Expect("\\}");
            return new SetValue(inner is SetValue { Braced: false } l ? l.Items : [inner], Braced: true);
        }
        if (LookingAt("\\langle"))
        {
            _pos += "\\langle".Length;
            var inner = ParseList("\\rangle");
            Expect("\\rangle");
            return new TupleValue(inner is SetValue { Braced: false } l ? l.Items : [inner], RoundBrackets: false);
        }
        if (LookingAt("\\begin{")) return ParseMatrix();
        if (Peek() is '(' or '[')
        {
            int save = _pos;
            var structure = TryBracketStructure();
            if (structure is not null) return structure;
            _pos = save;
        }
        return new ExprValue(ParseExpression(), Percent: false);
    }

    /// <summary>A bracketed list of two or more items — a tuple or an interval — when nothing continues it as an expression.</summary>
    AnswerValue? TryBracketStructure()
    {
        char open = _s[_pos++];
        AnswerValue inner;
        try { inner = ParseList(null); }
        catch (LatexParseException) { return null; }
        SkipSpace();
        char close = Peek();
        if (close is not (')' or ']')) return null;
        _pos++;
        if (inner is MatrixValue) return inner; // \left[ \begin{array} ... \end{array} \right]
        if (inner is not SetValue { Braced: false } list || list.Items.Count < 2) return null;
        SkipSpace();
        if (!AtStructureEnd()) return null;
        var items = list.Items;
        if (items.Count == 2 && items.All(x => x is ExprValue { Percent: false }))
        {
            var lo = ((ExprValue)items[0]).Node;
            var hi = ((ExprValue)items[1]).Node;
            if (open == '(' && close == ')') return new TupleValue(items, RoundBrackets: true);
            return new IntervalValue(lo, hi, LowOpen: open == '(', HighOpen: close == ')');
        }
        return new TupleValue(items, RoundBrackets: open == '(');
    }

    bool AtStructureEnd()
    {
        SkipSpace();
        if (_pos >= _s.Length) return true;
        char c = _s[_pos];
        if (c is ',' or ';' or ')' or ']' or '=' or '<' or '>') return true;
        if (LookingAt("\\}") || LookingAt("\\rangle") || LookingAtCommand("cup")) return true;
        int save = _pos;
        bool rel = TryRelationOp(out _);
        _pos = save;
        return rel;
    }

    AnswerValue ParseMatrix()
    {
        Expect("\\begin{");
        int close = _s.IndexOf('}', _pos);
        if (close < 0) throw Fail("unterminated \\begin");
        var env = _s[_pos..close];
        _pos = close + 1;
        if (env is not ("pmatrix" or "bmatrix" or "matrix" or "vmatrix" or "Bmatrix" or "smallmatrix" or "array"))
            throw Fail("unsupported environment " + env);
        if (env == "array")
        {
            SkipSpace();
            if (Peek() == '{')
            {
                int end = Answers.BoxedAnswer.MatchBrace(_s, _pos);
                if (end < 0) throw Fail("bad array spec");
                _pos = end + 1;
            }
        }
        var endTag = "\\end{" + env + "}";
        int stop = _s.IndexOf(endTag, _pos, StringComparison.Ordinal);
        if (stop < 0) throw Fail("missing " + endTag);
        var body = _s[_pos..stop];
        _pos = stop + endTag.Length;
        var rows = new List<IReadOnlyList<MathNode>>();
        foreach (var rowText in body.Split("\\\\"))
        {
            if (string.IsNullOrWhiteSpace(rowText)) continue;
            var cells = new List<MathNode>();
            foreach (var cell in rowText.Split('&'))
                cells.Add(TryParseExpression(cell.Trim()) ?? throw Fail("bad matrix cell"));
            rows.Add(cells);
        }
        if (rows.Count == 0 || rows.Any(r => r.Count != rows[0].Count)) throw Fail("ragged matrix");
        return new MatrixValue(rows);
    }

    bool TryRelationOp(out string op)
    {
        SkipSpace();
        op = "";
        if (_pos >= _s.Length) return false;
        char c = _s[_pos];
        char n = _pos + 1 < _s.Length ? _s[_pos + 1] : '\0';
        if (c == '<' && n == '=') { _pos += 2; op = "<="; return true; }
        if (c == '>' && n == '=') { _pos += 2; op = ">="; return true; }
        if (c == '!' && n == '=') { _pos += 2; op = "!="; return true; }
        if (c == '=') { _pos += (n == '=' ? 2 : 1); op = "="; return true; }
        if (c == '<') { _pos++; op = "<"; return true; }
        if (c == '>') { _pos++; op = ">"; return true; }
        if (c == '\\')
        {
            int save = _pos;
            var name = ReadCommandName();
            if (name is not null && RelationCommands.TryGetValue(name, out var rop)) { op = rop; return true; }
            _pos = save;
        }
        return false;
    }

    // ---- expressions -------------------------------------------------------------------------------------------

    MathNode ParseExpression()
    {
        Enter();
        SkipSpace();
        MathNode? acc = null;
        if (TryCommand("pm")) acc = new PlusMinusNode(new NumberNode(0, false), ParseTerm(), MinusFirst: false);
        else if (TryCommand("mp")) acc = new PlusMinusNode(new NumberNode(0, false), ParseTerm(), MinusFirst: true);
        else acc = ParseTerm();
        var terms = new List<MathNode> { acc };
        while (true)
        {
            SkipSpace();
            char c = Peek();
            if (c == '+') { _pos++; terms.Add(ParseTerm()); }
            else if (c == '-') { _pos++; terms.Add(new NegateNode(ParseTerm())); }
            else if (TryCommand("pm") || TryCommand("mp"))
            {
                bool minusFirst = _s[_pos - 1] == 'p' && _s[_pos - 2] == 'm';
                var left = terms.Count == 1 ? terms[0] : new SumNode(terms.ToList());
                terms.Clear();
                terms.Add(new PlusMinusNode(left, ParseTerm(), minusFirst));
            }
            else break;
        }
        Leave();
        return terms.Count == 1 ? terms[0] : new SumNode(terms);
    }

    MathNode ParseTerm()
    {
        Enter();
        var acc = ParseSignedFactor();
        var factors = new List<MathNode> { acc };
        while (true)
        {
            SkipSpace();
            char c = Peek();
            if (c == '*' || TryCommand("cdot") || TryCommand("times") || TryCommand("ast"))
            {
                if (c == '*') _pos++;
                factors.Add(ParseSignedFactor());
            }
            else if (c is '/' or ':' || TryCommand("div"))
            {
                if (c is '/' or ':') _pos++; // a ratio 3:1 is read as the quotient 3/1
                var num = factors.Count == 1 ? factors[0] : new ProductNode(factors.ToList());
                factors.Clear();
                factors.Add(new QuotientNode(num, ParseSignedFactor()));
            }
            else if (CanStartFactor())
            {
                bool fracNext = LookingAtCommand("frac");
                var next = ParsePower();
                // A mixed number: an integer directly followed by a fraction of integers (MATH writes 1\frac{4}{5}).
                if (fracNext && factors.Count == 1 && factors[0] is NumberNode { IsDecimal: false } whole && whole.Value.IsInteger
                    && next is QuotientNode { Numerator: NumberNode { IsDecimal: false } fn, Denominator: NumberNode { IsDecimal: false } fd }
                    && fn.Value.IsInteger && fd.Value.IsInteger)
                {
                    factors[0] = whole.Value.Sign < 0 ? new SumNode([whole, new NegateNode(next)]) : new SumNode([whole, next]);
                }
                else factors.Add(next);
            }
            else break;
        }
        Leave();
        return factors.Count == 1 ? factors[0] : new ProductNode(factors);
    }

    MathNode ParseSignedFactor()
    {
        SkipSpace();
        if (Peek() == '-') { _pos++; return new NegateNode(ParseSignedFactor()); }
        if (Peek() == '+') { _pos++; return ParseSignedFactor(); }
        return ParsePower();
    }

    MathNode ParsePower()
    {
        Enter();
        var b = ParsePostfix();
        SkipSpace();
        if (Peek() == '^')
        {
            _pos++;
            var e = ParseScriptArgument();
            b = new PowerNode(b, e);
            SkipSpace();
            while (Peek() == '!' && PeekAt(1) != '=') { _pos++; b = new FunctionNode("factorial", [b]); }
        }
        Leave();
        return b;
    }

    MathNode ParsePostfix()
    {
        var p = ParsePrimary();
        SkipSpace();
        while (Peek() == '!' && PeekAt(1) != '=') { _pos++; p = new FunctionNode("factorial", [p]); SkipSpace(); }
        return p;
    }

    /// <summary>The argument of <c>^</c>: a braced group, or one character/command (<c>x^2</c>, <c>x^\pi</c>, <c>x^-1</c>).</summary>
    MathNode ParseScriptArgument()
    {
        SkipSpace();
        char c = Peek();
        if (c == '{') return ParseGroup('{', '}');
        if (c == '-') { _pos++; return new NegateNode(ParseScriptArgument()); }
        if (char.IsAsciiDigit(c)) { _pos++; return new NumberNode(c - '0', false); }
        if (char.IsAsciiLetter(c)) { _pos++; return Symbol(c.ToString()); }
        if (c == '\\') return ParsePrimary();
        if (c == '(') return ParseGroup('(', ')');
        throw Fail("bad exponent");
    }

    /// <summary>An argument of <c>\frac</c>, <c>\sqrt</c>, <c>\binom</c>: a braced group, or one digit, letter or command.</summary>
    MathNode ParseMacroArgument()
    {
        SkipSpace();
        char c = Peek();
        if (c == '{') return ParseGroup('{', '}');
        if (char.IsAsciiDigit(c)) { _pos++; return new NumberNode(c - '0', false); }
        if (char.IsAsciiLetter(c)) { _pos++; return Symbol(c.ToString()); }
        if (c == '\\') return ParsePrimary();
        throw Fail("bad macro argument");
    }

    MathNode ParseGroup(char open, char close)
    {
        Expect(open.ToString());
        int saveAbs = _absDepth;
        _absDepth = 0;
        var inner = ParseExpression();
        _absDepth = saveAbs;
        Expect(close.ToString());
        return inner;
    }

    MathNode ParsePrimary()
    {
        Enter();
        try
        {
            SkipSpace();
            if (_pos >= _s.Length) throw Fail("unexpected end");
            char c = _s[_pos];
            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(PeekAt(1)))) return ParseNumber();
            if (char.IsAsciiLetter(c))
            {
                _pos++;
                return Symbol(c.ToString() + ReadSubscript());
            }
            if (c == '(') return ParseGroup('(', ')');
            if (c == '[') return ParseGroup('[', ']');
            if (c == '{') return ParseGroup('{', '}');
            if (c == '|')
            {
                _pos++;
                _absDepth++;
                var inner = ParseExpression();
                _absDepth--;
                Expect("|");
                return new FunctionNode("abs", [inner]);
            }
            if (c == '\\') return ParseCommandPrimary();
            throw Fail($"unexpected '{c}'");
        }
        finally { Leave(); }
    }

    MathNode ParseNumber()
    {
        int start = _pos;
        while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
        bool isDecimal = false;
        if (_pos < _s.Length && _s[_pos] == '.' && _pos + 1 < _s.Length && char.IsAsciiDigit(_s[_pos + 1]))
        {
            isDecimal = true;
            _pos++;
            while (_pos < _s.Length && char.IsAsciiDigit(_s[_pos])) _pos++;
        }
        var text = _s[start.._pos];
        if (text.Length > 4000) throw Fail("number too long");
        // "52_8", "204_{5}": a numeral in another base is an opaque name, equal only to itself
        if (Peek() == '_') return new SymbolNode(text + ReadSubscript());
        if (!BigRational.TryParseDecimal(text, out var value)) throw Fail("bad number");
        return new NumberNode(value, isDecimal);
    }

    string ReadSubscript()
    {
        if (_pos >= _s.Length || _s[_pos] != '_') return "";
        _pos++;
        SkipSpace();
        if (Peek() == '{')
        {
            int close = Answers.BoxedAnswer.MatchBrace(_s, _pos);
            if (close < 0) throw Fail("unterminated subscript");
            var sub = new string(_s[(_pos + 1)..close].Where(ch => !char.IsWhiteSpace(ch)).ToArray());
            _pos = close + 1;
            return "_" + sub;
        }
        if (_pos < _s.Length && char.IsAsciiLetterOrDigit(_s[_pos])) return "_" + _s[_pos++];
        throw Fail("bad subscript");
    }

    MathNode ParseCommandPrimary()
    {
        int save = _pos;
        var name = ReadCommandName() ?? throw Fail("bad command");
        switch (name)
        {
            case "frac":
                return new QuotientNode(ParseMacroArgument(), ParseMacroArgument());
            case "sqrt":
            {
                MathNode? index = null;
                SkipSpace();
                if (Peek() == '[') index = ParseGroup('[', ']');
                return new RootNode(ParseMacroArgument(), index);
            }
            case "binom":
                return new FunctionNode("binom", [ParseMacroArgument(), ParseMacroArgument()]);
            case "pi":
                return new ConstantNode("pi");
            case "infty":
                return new ConstantNode("infinity");
            case "lfloor":
            {
                var inner = ParseExpression();
                if (!TryCommand("rfloor")) throw Fail("missing \\rfloor");
                return new FunctionNode("floor", [inner]);
            }
            case "lceil":
            {
                var inner = ParseExpression();
                if (!TryCommand("rceil")) throw Fail("missing \\rceil");
                return new FunctionNode("ceil", [inner]);
            }
            case "lvert" or "vert":
            {
                var inner = ParseExpression();
                if (!(TryCommand("rvert") || TryCommand("vert"))) throw Fail("missing \\rvert");
                return new FunctionNode("abs", [inner]);
            }
            case "imath":
                return Symbol("i");
        }
        if (Greek.Contains(name)) return Symbol(name + ReadSubscript());
        if (Functions.Contains(name)) return ParseFunction(name);
        _pos = save;
        throw Fail("unsupported command \\" + name);
    }

    MathNode ParseFunction(string name)
    {
        MathNode? power = null, logBase = null;
        for (int k = 0; k < 2; k++)
        {
            SkipSpace();
            if (Peek() == '^' && power is null) { _pos++; power = ParseScriptArgument(); }
            else if (Peek() == '_' && logBase is null && name == "log") { _pos++; logBase = ParseScriptArgument(); }
        }
        SkipSpace();
        MathNode arg = Peek() switch
        {
            '(' => ParseGroup('(', ')'),
            '{' => ParseGroup('{', '}'),
            _ => ParsePower(),
        };
        MathNode f = name switch
        {
            "lg" => new FunctionNode("log", [arg, new NumberNode(10, false)]),
            "log" when logBase is not null => new FunctionNode("log", [arg, logBase]),
            "log" => new FunctionNode("ln", [arg]), // \log x is the natural log, as sympy reads it
            _ => new FunctionNode(name, [arg]),
        };
        // \sin^{-1} x is arcsin x; any other power applies to the value
        if (power is NegateNode { Operand: NumberNode { Value.IsOne: true } } && name is "sin" or "cos" or "tan")
            return new FunctionNode("arc" + name, [arg]);
        return power is null ? f : new PowerNode(f, power);
    }

    bool CanStartFactor()
    {
        SkipSpace();
        if (_pos >= _s.Length) return false;
        char c = _s[_pos];
        if (char.IsAsciiDigit(c) || char.IsAsciiLetter(c) || c is '(' or '{') return true;
        if (c == '|') return _absDepth == 0;
        if (c == '\\')
        {
            int save = _pos;
            var name = ReadCommandName();
            _pos = save;
            return name is not null && (name is "frac" or "sqrt" or "binom" or "pi" or "infty" or "lfloor" or "lceil" or "lvert" or "imath"
                || Greek.Contains(name) || Functions.Contains(name));
        }
        return false;
    }

    static MathNode Symbol(string name) => name == "i" ? new ConstantNode("i") : new SymbolNode(name);

    // ---- scanning ----------------------------------------------------------------------------------------------

    void SkipSpace()
    {
        while (_pos < _s.Length && char.IsWhiteSpace(_s[_pos])) _pos++;
    }

    char Peek()
    {
        SkipSpace();
        return _pos < _s.Length ? _s[_pos] : '\0';
    }

    char PeekAt(int offset) => _pos + offset < _s.Length ? _s[_pos + offset] : '\0';

    bool LookingAt(string t)
    {
        SkipSpace();
        return string.CompareOrdinal(_s, _pos, t, 0, t.Length) == 0;
    }

    bool LookingAtCommand(string name)
    {
        SkipSpace();
        int save = _pos;
        var n = _pos < _s.Length && _s[_pos] == '\\' ? ReadCommandName() : null;
        _pos = save;
        return n == name;
    }

    bool TryCommand(string name)
    {
        if (!LookingAtCommand(name)) return false;
        _pos += name.Length + 1;
        return true;
    }

    /// <summary>Reads <c>\name</c> (letters) at the cursor; null (cursor unchanged) if there is none.</summary>
    string? ReadCommandName()
    {
        SkipSpace();
        if (_pos >= _s.Length || _s[_pos] != '\\') return null;
        int start = _pos + 1, end = start;
        while (end < _s.Length && char.IsAsciiLetter(_s[end])) end++;
        if (end == start) return null;
        _pos = end;
        return _s[start..end];
    }

    void Expect(string t)
    {
        if (!LookingAt(t)) throw Fail($"expected '{t}'");
        _pos += t.Length;
    }

    void Enter()
    {
        if (++_depth > MaxDepth) throw Fail("nested too deeply");
    }

    void Leave() => _depth--;

    LatexParseException Fail(string why) => new(string.Create(CultureInfo.InvariantCulture, $"{why} at {_pos}"));
}

/// <summary>Raised inside <see cref="LatexParser"/> for text it does not understand; never escapes the parser.</summary>
public sealed class LatexParseException(string message) : Exception(message);
