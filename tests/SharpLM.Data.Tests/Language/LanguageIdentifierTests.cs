using System.Text.Json;
using SharpLM.Data.Language;

namespace SharpLM.Data.Tests.Language;

public class LanguageIdentifierTests
{
    [Theory]
    [InlineData("en", "We show that the sum of the first n odd numbers is a perfect square. Let us write the sum as a telescoping series and then use induction on n, which is the standard approach for this kind of problem.")]
    [InlineData("fr", "Nous montrons que la somme des premiers nombres impairs est un carré parfait. On écrit la somme comme une série télescopique, puis on utilise une récurrence sur le nombre de termes, ce qui est la méthode habituelle pour ce genre de problème.")]
    [InlineData("de", "Wir zeigen, dass die Summe der ersten ungeraden Zahlen eine Quadratzahl ist. Dazu schreiben wir die Summe als Teleskopsumme und verwenden dann vollständige Induktion, was für diese Art von Aufgabe der übliche Weg ist.")]
    [InlineData("es", "Mostramos que la suma de los primeros números impares es un cuadrado perfecto. Escribimos la suma como una serie telescópica y luego usamos inducción sobre el número de términos, que es el método habitual para este tipo de problema.")]
    [InlineData("it", "Mostriamo che la somma dei primi numeri dispari è un quadrato perfetto. Scriviamo la somma come una serie telescopica e poi usiamo l'induzione sul numero dei termini, che è il metodo più comune per questo tipo di problema.")]
    [InlineData("pt", "Mostramos que a soma dos primeiros números ímpares é um quadrado perfeito. Escrevemos a soma como uma série telescópica e depois usamos indução sobre o número de termos, que é o método mais comum para este tipo de problema.")]
    [InlineData("nl", "We laten zien dat de som van de eerste oneven getallen een kwadraat is. We schrijven de som als een telescopische reeks en gebruiken dan inductie op het aantal termen, wat de gebruikelijke aanpak is voor dit soort problemen.")]
    [InlineData("pl", "Pokażemy, że suma pierwszych liczb nieparzystych jest kwadratem. Zapiszemy sumę jako szereg teleskopowy, a następnie użyjemy indukcji po liczbie wyrazów, co jest zwykłym podejściem do tego typu zadań.")]
    [InlineData("ru", "Покажем, что сумма первых нечётных чисел является полным квадратом. Запишем сумму как телескопический ряд и применим индукцию по числу слагаемых.")]
    [InlineData("zh", "我们证明前n个奇数之和是一个完全平方数。把这个和写成望远镜级数，然后对项数使用数学归纳法。")]
    [InlineData("ja", "最初のn個の奇数の和が完全平方数であることを示します。和を望遠鏡級数として書き、項数について帰納法を使います。")]
    [InlineData("el", "Δείχνουμε ότι το άθροισμα των πρώτων περιττών αριθμών είναι τέλειο τετράγωνο. Γράφουμε το άθροισμα ως τηλεσκοπική σειρά.")]
    public void NamesTheLanguageOfProse(string expected, string text)
    {
        var g = LanguageIdentifier.Identify(text);
        Assert.Equal(expected, g.Language);
        Assert.True(g.Score >= 0.5, $"{expected}: score {g.Score}");
    }

    [Fact]
    public void MathHeavyEnglishStaysEnglish()
    {
        var text = "Let $f(x) = \\frac{x^2 - 1}{x + 1}$. Then for $x \\neq -1$ we have $f(x) = x - 1$, so the limit "
            + "$\\lim_{x \\to -1} f(x) = -2$ exists even though $f$ is not defined there. $$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$ "
            + "This is the reason the discontinuity is called removable.";
        var g = LanguageIdentifier.Identify(text);
        Assert.Equal("en", g.Language);
        Assert.True(g.Score > 0.6, g.Score.ToString());
    }

    [Fact]
    public void RealEnglishCorporaScoreAboveTheThreshold()
    {
        // GSM8K test questions (short word problems) and Open Logic's LaTeX prose: English, at >= 0.5.
        var lines = File.ReadLines(TestPaths.Shared("gsm8k/test.jsonl")).Take(200).ToArray();
        int english = lines.Count(l =>
        {
            var q = JsonDocument.Parse(l).RootElement.GetProperty("question").GetString()!;
            var g = LanguageIdentifier.Identify(q);
            return g.Language == "en" && g.Score >= 0.5;
        });
        Assert.True(english >= 196, $"{english}/200 GSM8K questions identified as English");

        var tex = File.ReadAllText(TestPaths.Shared("text-corpus/openlogic.tex.txt"));
        int ok = 0, chunks = 0;
        for (int start = 0; start + 3000 < tex.Length && chunks < 100; start += tex.Length / 100, chunks++)
            if (LanguageIdentifier.Identify(tex.Substring(start, 3000)) is { Language: "en", Score: >= 0.5 }) ok++;
        Assert.True(ok >= 95, $"{ok}/{chunks} Open Logic chunks identified as English");
    }

    [Fact]
    public void NoiseIsNotConfidentlyEnglish()
    {
        Assert.Equal("unknown", LanguageIdentifier.Identify("12345 678 $x^2$ 99").Language);
        var g = LanguageIdentifier.Identify("xq zvb kwpf lmnrt qqq zzk vbnm rtyu ghjk wxcv poiu mnbv lkjh");
        Assert.True(g.Language != "en" || g.Score < 0.5, $"{g}");
        var code = LanguageIdentifier.Identify("var x = foo(bar); if (x) { return baz(qux); } else { throw new Err(); }");
        Assert.True(code.Language != "en" || code.Score < 0.5, $"{code}");
    }
}
