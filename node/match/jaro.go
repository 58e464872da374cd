package match

// Jaro returns the Jaro similarity of a and b (0..1), over runes.
func Jaro(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 || len(rb) == 0 {
		return 0
	}
	window := max(len(ra), len(rb))/2 - 1
	window = max(window, 0)
	// Names are short: flags live on the stack unless a string is long.
	var stackA, stackB [64]bool
	var ma, mb []bool
	if len(ra) > 64 || len(rb) > 64 {
		ma, mb = make([]bool, len(ra)), make([]bool, len(rb))
	} else {
		ma, mb = stackA[:len(ra)], stackB[:len(rb)]
	}
	matches := 0
	for i, r := range ra {
		lo, hi := max(0, i-window), min(len(rb), i+window+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && rb[j] == r {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	transpositions, j := 0, 0
	for i := range ra {
		if !ma[i] {
			continue
		}
		for !mb[j] {
			j++
		}
		if ra[i] != rb[j] {
			transpositions++
		}
		j++
	}
	m := float64(matches)
	return (m/float64(len(ra)) + m/float64(len(rb)) + (m-float64(transpositions/2))/m) / 3
}

// JaroWinkler returns the Jaro–Winkler similarity with Winkler's standard
// settings: prefix up to 4 runes, scaling 0.1, applied when Jaro > 0.7.
func JaroWinkler(a, b string) float64 {
	j := Jaro(a, b)
	if j <= 0.7 {
		return j
	}
	prefix := 0
	ra, rb := []rune(a), []rune(b)
	for prefix < min(4, len(ra), len(rb)) && ra[prefix] == rb[prefix] {
		prefix++
	}
	return j + float64(prefix)*0.1*(1-j)
}
