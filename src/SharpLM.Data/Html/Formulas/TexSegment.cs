namespace SharpLM.Data.Html.Formulas;

/// <summary>A piece of page text: plain text, or a formula found between delimiters.</summary>
public readonly record struct TexSegment(string Text, bool IsMath, bool Display, MathSource Source);
