using System.Text.RegularExpressions;

namespace SharpLM.Data.Language;

/// <summary>A language guess: ISO 639-1 code (or <c>unknown</c>) and a confidence in [0, 1].</summary>
public readonly record struct LanguageGuess(string Language, double Score);

/// <summary>
/// A small managed language identifier, written here because fastText's lid.176 model cannot be used (no
/// native code, no model download). It answers the question the pipeline asks — "is this English, and how
/// sure are we?" — and names ~30 other languages well enough to report them.
/// </summary>
/// <remarks>
/// <para>Method. Math (<c>$…$</c>, <c>\commands</c>), URLs and digits are removed first so that formulas do not
/// vote. (1) Script: letters are counted per Unicode script; if a non-Latin script holds most letters, the
/// language follows from it (Han → zh, kana → ja, Hangul → ko, Cyrillic → ru/uk/bg, Greek → el, Arabic → ar,
/// Hebrew → he, Thai → th, Devanagari → hi). (2) Latin script: each word of two or more letters (one-letter words are also math variables) is looked up in the function-word
/// lists of 20 languages (<see cref="LanguageProfiles"/>); a language's coverage is the fraction of words in
/// its list; distinctive letters (ß, ñ, ø, ł, ř, ş, ő, ă…) add votes.</para>
/// <para>Score. For the winner: <c>share × min(1, coverage / 0.2)</c>, where share = winner's coverage /
/// (winner + runner-up) and 0.2 is below the function-word coverage of ordinary prose (30-50 %), so clean
/// prose scores near 1, mixed-language or mostly-symbol text scores low. It is a calibrated-by-design
/// confidence, not fastText's probability; the English threshold (0.5 by default, as OpenWebMath used with
/// fastText) was checked on the tests' English math text, GSM8K questions and foreign-language samples.</para>
/// </remarks>
public static class LanguageIdentifier
{
    const double FullCoverage = 0.2;
    const int MaxWordsConsidered = 2000;

    // Every repetition is bounded, so backtracking stays linear on any page (an unbounded \S+@\S+ was
    // quadratic on a 40k-character run of CJK text without spaces).
    static readonly Regex s_noise = new(@"\$\$[^$]{0,4000}\$\$|\$[^$\n]{0,400}\$|\\[A-Za-z]{1,40}|https?://[^\s]{1,500}",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    static readonly Dictionary<string, int[]> s_wordToLanguages = BuildIndex();

    static Dictionary<string, int[]> BuildIndex()
    {
        var map = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int l = 0; l < LanguageProfiles.Latin.Length; l++)
            foreach (var w in LanguageProfiles.Latin[l].Words.Distinct())
            {
                if (!map.TryGetValue(w, out var list)) map[w] = list = [];
                list.Add(l);
            }
        return map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal);
    }

    public static LanguageGuess Identify(string text)
    {
        // Long pages: the first 10k characters (~1,500 words) decide the language as well as the whole
        // page would, and bound the cost per page.
        if (text.Length > 10_000) text = text[..10_000];
        var clean = s_noise.Replace(text, " ");

        Span<int> script = stackalloc int[(int)Script.Count];
        int letters = 0;
        foreach (var c in clean)
        {
            if (!char.IsLetter(c)) continue;
            letters++;
            script[(int)ScriptOf(c)]++;
        }
        if (letters < 10) return new("unknown", 0);

        // Japanese writes kanji and kana side by side: judge Han + kana together as one CJK share.
        int cjk = script[(int)Script.Han] + script[(int)Script.Kana];
        if (cjk * 2 > letters)
            return new(NonLatinLanguage(script[(int)Script.Kana] >= script[(int)Script.Han] ? Script.Kana : Script.Han, clean, script), (double)cjk / letters);
        int top = 0;
        for (int s = 1; s < script.Length; s++) if (script[s] > script[top]) top = s;
        if ((Script)top != Script.Latin && script[top] * 2 > letters)
            return new(NonLatinLanguage((Script)top, clean, script), (double)script[top] / letters);
        return IdentifyLatin(clean, (double)script[(int)Script.Latin] / letters);
    }

    static LanguageGuess IdentifyLatin(string clean, double latinShare)
    {
        int n = LanguageProfiles.Latin.Length;
        Span<double> hits = stackalloc double[n];
        int words = 0;
        foreach (var token in Words(clean))
        {
            if (++words > MaxWordsConsidered) break;
            // One-letter words ("a", "i", "w", "z") are also math variables; they would vote Polish or Czech
            // on every formula-heavy page, so they count as words but never as evidence.
            if (token.Length > 1 && s_wordToLanguages.TryGetValue(token, out var langs))
                foreach (var l in langs) hits[l] += 1;
        }
        if (words == 0) return new("unknown", 0);
        AddLetterVotes(clean, hits, words);

        int best = 0, second = -1;
        for (int l = 1; l < n; l++)
        {
            if (hits[l] > hits[best]) { second = best; best = l; }
            else if (second < 0 || hits[l] > hits[second]) second = l;
        }
        if (hits[best] <= 0) return new("unknown", 0);
        double coverage = hits[best] / words;
        double runnerUp = second >= 0 ? hits[second] : 0;
        double share = hits[best] / (hits[best] + runnerUp);
        double score = share * Math.Min(1, coverage / FullCoverage) * Math.Min(1, latinShare / 0.9);
        return new(LanguageProfiles.Latin[best].Code, Math.Round(score, 4));
    }

    // Letters that only some Latin-script languages use; each occurrence is worth a fraction of a word.
    static readonly (string Letters, string[] Languages)[] s_letterVotes =
    [
        ("ß", ["de"]), ("äöü", ["de", "sv", "fi", "hu"]), ("ñ", ["es"]), ("ç", ["fr", "pt", "ca", "tr"]), ("èêëàâîôû", ["fr"]),
        ("ãõ", ["pt"]), ("å", ["sv", "da", "no"]), ("æø", ["da", "no"]), ("łąęśźżćń", ["pl"]), ("řůěčšž", ["cs"]),
        ("şğı", ["tr"]), ("őű", ["hu"]), ("ăâîșț", ["ro"]), ("đơư", ["vi"]), ("ò", ["it", "ca"]), ("ì", ["it"]),
    ];

    static readonly Dictionary<char, int[]> s_letterToVoteSets = BuildLetterIndex();

    static Dictionary<char, int[]> BuildLetterIndex()
    {
        var map = new Dictionary<char, List<int>>();
        for (int v = 0; v < s_letterVotes.Length; v++)
            foreach (var c in s_letterVotes[v].Letters)
            {
                if (!map.TryGetValue(c, out var l)) map[c] = l = [];
                l.Add(v);
            }
        return map.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
    }

    static readonly int[][] s_voteLanguages = s_letterVotes
        .Select(v => v.Languages.Select(code => Array.FindIndex(LanguageProfiles.Latin, p => p.Code == code)).Where(i => i >= 0).ToArray())
        .ToArray();

    static void AddLetterVotes(string clean, Span<double> hits, int words)
    {
        // One pass over the text counting distinctive letters per vote set (all are non-ASCII).
        Span<int> counts = stackalloc int[s_letterVotes.Length];
        foreach (var ch in clean)
        {
            if (ch < 0x80 || ch > 0x24F) continue; // the vote letters are all in Latin-1 Supplement / Latin Extended
            if (s_letterToVoteSets.TryGetValue(char.ToLowerInvariant(ch), out var sets))
                foreach (var v in sets) counts[v]++;
        }
        // Bounded so that letters can break ties but never outvote the word evidence of prose.
        double cap = 0.1 * words;
        for (int v = 0; v < counts.Length; v++)
        {
            if (counts[v] == 0) continue;
            double vote = Math.Min(cap, counts[v] * 0.25);
            foreach (var l in s_voteLanguages[v]) hits[l] += vote;
        }
    }

    static IEnumerable<string> Words(string text)
    {
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetter(text[i])) i++;
            int start = i;
            while (i < text.Length && (char.IsLetter(text[i]) || text[i] == '\'' && i + 1 < text.Length && char.IsLetter(text[i + 1]))) i++;
            if (i > start) yield return text[start..i].ToLowerInvariant();
        }
    }

    enum Script { Latin, Cyrillic, Greek, Arabic, Hebrew, Han, Kana, Hangul, Thai, Devanagari, Other, Count }

    static Script ScriptOf(char c) => c switch
    {
        <= '\u024F' => Script.Latin,
        >= '\u1E00' and <= '\u1EFF' => Script.Latin, // Latin extended additional (Vietnamese)
        >= '\u0370' and <= '\u03FF' => Script.Greek,
        >= '\u0400' and <= '\u04FF' => Script.Cyrillic,
        >= '\u0590' and <= '\u05FF' => Script.Hebrew,
        >= '\u0600' and <= '\u06FF' => Script.Arabic,
        >= '\u0900' and <= '\u097F' => Script.Devanagari,
        >= '\u0E00' and <= '\u0E7F' => Script.Thai,
        >= '\u3040' and <= '\u30FF' => Script.Kana,
        >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF' => Script.Han,
        >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF' => Script.Hangul,
        _ => Script.Other,
    };

    static string NonLatinLanguage(Script s, string clean, ReadOnlySpan<int> counts) => s switch
    {
        // Japanese mixes kanji with kana; Chinese has no kana.
        Script.Han => counts[(int)Script.Kana] > counts[(int)Script.Han] / 20 ? "ja" : "zh",
        Script.Kana => "ja",
        Script.Hangul => "ko",
        Script.Cyrillic => clean.AsSpan().IndexOfAny("іїєґІЇЄҐ") >= 0 ? "uk" : clean.AsSpan().IndexOfAny("ъщ") >= 0 && clean.Contains(" на ") && clean.AsSpan().IndexOfAny("ыэё") < 0 ? "bg" : "ru",
        Script.Greek => "el",
        Script.Arabic => "ar",
        Script.Hebrew => "he",
        Script.Thai => "th",
        Script.Devanagari => "hi",
        _ => "unknown",
    };
}
