package flows

import (
	"fmt"
	"strings"
	"testing"
)

func TestZZProbe(t *testing.T) {
	for _, s := range []string{"1️⃣", "🔟", "a 🔟", "２", "NF-e", "Olá, Ação!!  é", "\x00a\tb\nc\x7f", "a\xffb", "\xff", "sair.", "  ", "👍", "İstanbul", "ǅ", "한", "Ⱥ", "#️⃣", "opção 🔟"} {
		fmt.Printf("%q -> %q\n", s, Normalize(s))
	}
	s := strings.Repeat("Ⱥ", 256)
	n := Normalize(s)
	fmt.Println(len(n), Normalize(n) == n)
	s = strings.Repeat("한", 200)
	n = Normalize(s)
	fmt.Println(len(n), Normalize(n) == n)
	fl, err := Load("../flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := fl.Menu("inicio")
	for _, s := range []string{"quero a nota da assinatura", "quero emitir nota fiscal", "nf", "quero nf", "opção 2", "2)", "2.", "-2", "02"} {
		i, ok := m.Match(s)
		fmt.Println(s, i, ok)
	}
	for _, s := range []string{"ainda não resolveu", "não, não resolveu", "nao resolveu", "sim resolveu"} {
		i, ok := fl.ResolvedChoice().Match(s)
		fmt.Println(s, i, ok)
	}
}
