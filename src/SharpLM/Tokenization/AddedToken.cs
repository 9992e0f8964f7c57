namespace SharpLM.Tokenization;

/// <summary>
/// A token matched whole in the input before normal tokenization (Hugging Face "added token"): control
/// tokens such as <c>&lt;start_of_turn&gt;</c> and user-defined ones such as <c>&lt;unused0&gt;</c>.
/// </summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">The exact text that is matched.</param>
/// <param name="Special">Special tokens are not matched when encoding with <c>parseSpecial: false</c> and are left
/// out by <c>Decode(…, skipSpecialTokens: true)</c>.</param>
/// <param name="Normalized">Matched in the normalized text (spaces already turned into ▁) rather than the raw text.</param>
/// <param name="LStrip">The match swallows whitespace on its left.</param>
/// <param name="RStrip">The match swallows whitespace on its right.</param>
/// <param name="SingleWord">Matched only when not inside a word.</param>
public sealed record AddedToken(int Id, string Content, bool Special, bool Normalized = false,
    bool LStrip = false, bool RStrip = false, bool SingleWord = false);
