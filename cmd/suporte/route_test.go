package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func runRoute(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runFlows(context.Background(), append([]string{"route", "--flows", "../../flows.yaml"}, args...), nil, &out, &errb)
	return out.String(), errb.String(), err
}

func TestFlowsRoute(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"a clear winner, with its evidence", []string{"minha nota foi rejeitada pela sefaz"}, []string{
			`-> goes to notas-rejeitada (Nota rejeitada)`,
			`rejeitada: same word "rejeitada" in`,
			`closest: "a SEFAZ rejeitou a nota"`,
		}},
		{"typos are named", []string{"esqueci", "minha", "snha"}, []string{
			`"esqueci minha snha" at menu "inicio"`,
			`snha: typo of "senha"`,
		}},
		{"a doubt asks about the trail alone", []string{"perdi", "minha", "senha"}, []string{"-> asks: acesso (Acesso e senha)\n"}},
		{"a question", []string{"quero cancelar"}, []string{"-> asks: ", "notas-cancelar (Cancelar ou corrigir nota)", " or ", "plano (Plano e assinatura)"}}, // near even: either first
		{"what the phrasebook taught", []string{"minha nota foi rejeitada pela sefaz"}, []string{
			"learned from customers' phrasings: notas-rejeitada >99.9%, no node (out of scope) <0.1%", // a small doubt is shown as such
			"words that tip it to notas-rejeitada over ",
		}},
		{"the phrasebook places a text nowhere", []string{"qual o horario da farmacia do centro?"}, []string{"no node (out of scope)"}},
		{"at a sub-menu", []string{"--menu", "notas", "3"}, []string{"-> option 3 of the menu: notas-rejeitada (Nota rejeitada)"}},
		{"inherited words name their menu", []string{"minha nota foi rejeitada pela sefaz"}, []string{`closest: "sefaz" of menu notas`}},
		{"an option still shows the ranking", []string{"--menu", "notas", "sefaz"}, []string{"-> option 3", " notas-rejeitada (Nota rejeitada)\n"}},
		{"nothing", []string{"kkkk"}, []string{"-> not understood: the menu again", "no node shares a word with it"}},
		{"the glossary's entries are named", []string{"o itaú desconectou"}, []string{
			`glossary: "itau" read as "banco" (line `,
			`itau (glossary: banco): same word "banco" in`,
		}},
		{"unknown words", []string{"vocês vendem geladeira?"}, []string{"words no node knows: geladeira"}},
		{"the customer's own life is named", []string{"minha filha e o meu celular"}, []string{
			"the customer's own life: filha (no trail entered, only asked)",
			"the customer's own things: meu celular (a trail needs two other words)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, err := runRoute(t, tt.args...)
			if err != nil {
				t.Fatalf("flows route %q: %v (%s)", tt.args, err, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("flows route %q output lacks %q; got:\n%s", tt.args, w, out)
				}
			}
		})
	}
}

func TestFlowsRouteUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"  "}, {"--menu", "notas-nfe", "nota"}, {"--menu", "nada", "nota"}} {
		_, errs, err := runRoute(t, args...)
		if !errors.Is(err, errUsage) || errs == "" {
			t.Errorf("flows route %q = %v, stderr %q; want a usage error with a message", args, err, errs)
		}
	}
}
