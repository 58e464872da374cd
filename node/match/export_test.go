package match

// SpokenLatin exposes spokenLatin to the package's tests.
var SpokenLatin = spokenLatin

// Conditional is log P(latin | other) under t.
func (t *Transliteration) Conditional(latin, other string) float64 {
	return t.conditional(transLatin(latin), t.ids(transUnits(other), nil), nil)
}

// WithoutContext is t with its spellings learnt alike in every context.
func (t *Transliteration) WithoutContext() *Transliteration {
	c := *t
	c.Context = nil
	c.compile()
	return &c
}
