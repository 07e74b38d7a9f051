package flows

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestZZDump(t *testing.T) {
	fl := loadShipped(t)
	f, _ := os.Create("/tmp/dump.tsv")
	defer f.Close()
	for _, s := range labelledSets {
		for _, c := range readLabelled(t, s.name) {
			a := fl.Understand(fl.Root(), c.phrase)
			kind := "-"
			if a.Node != "" {
				kind = string(fl.Node(a.Node).Type.Value)
			}
			r := a.Routing
			top, second := 0.0, 0.0
			if len(r.Ranking) > 0 {
				top = r.Ranking[0].Score
			}
			if len(r.Ranking) > 1 {
				second = r.Ranking[1].Score
			}
			fmt.Fprintf(f, "%s\t%s\t%v\t%s\t%s\t%d\t%d\t%s\t%.2f\t%.2f\t%d\t%d\t%q\n", s.name, c.node, a.Kind, a.Node, kind, r.words, len(r.Unknown), strings.Join(r.Unknown, ","), top, second, len(r.Owned), len(r.Elsewhere), c.phrase)
		}
	}
}
