package flows

import (
	"regexp"
	"strings"
)

// Placeholders are the {names} editors may write in texts.
var Placeholders = []string{"protocolo", "id_suporte", "nome", "horario", "proximo_atendimento"}

var placeholderRE = regexp.MustCompile(`\{([^{}\s]*)\}`)

// Vars holds the values of the placeholders for one message.
type Vars struct {
	Protocolo          string
	IDSuporte          string
	Nome               string
	Horario            string
	ProximoAtendimento string
}

func (v Vars) lookup(name string) (string, bool) {
	switch name {
	case "protocolo":
		return v.Protocolo, true
	case "id_suporte":
		return v.IDSuporte, true
	case "nome":
		return v.Nome, true
	case "horario":
		return v.Horario, true
	case "proximo_atendimento":
		return v.ProximoAtendimento, true
	}
	return "", false
}

// Render fills the placeholders of s. Unknown names cannot reach here (the
// validator refuses them) but are left as written rather than dropped.
func Render(s string, v Vars) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if val, ok := v.lookup(m[1 : len(m)-1]); ok {
			return val
		}
		return m
	})
}
