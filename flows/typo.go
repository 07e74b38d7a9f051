package flows

// Typo tolerance: a word routing does not know is compared with the words
// it does, allowing one edit in words of four to six letters and two from
// seven on ("rejeitda", "snha", "conciliaçao"). Candidates come from a
// symmetric-deletion table built with the index, so a lookup costs a few
// map reads, not a pass over the vocabulary.

// typoBudget is how many edits a word of n bytes may have.
func typoBudget(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 7:
		return 1
	}
	return 2
}

// deletions calls f with s and every string made by deleting up to d bytes
// of it (duplicates included). Words here are folded ASCII.
func deletions(s string, d int, f func(string)) {
	f(s)
	if d == 0 || len(s) <= 1 {
		return
	}
	for i := range len(s) {
		t := s[:i] + s[i+1:]
		if d == 1 {
			f(t)
			continue
		}
		deletions(t, d-1, f)
	}
}

// editDistance is the optimal string alignment distance between a and b
// (insertions, deletions, substitutions and swaps of neighbours), or
// max+1 when it is over max.
func editDistance(a, b string, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	// Three rows: the one before the previous is needed for swaps.
	var buf [3][32]int
	if len(b) >= len(buf[0]) {
		return max + 1 // words that long are never typos of a vocabulary word
	}
	prev2, prev, cur := buf[0][:len(b)+1], buf[1][:len(b)+1], buf[2][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			low = min(low, v)
		}
		if low > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], max+1)
}
