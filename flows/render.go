package flows

import (
	"regexp"
	"strings"
)

// Placeholders are the {names} editors may write in texts.
var Placeholders = []string{"protocolo", "id_suporte", "nome", "horario", "proximo_atendimento",
	"posicao", "espera", "atendente", "prazo", "status", "solicitante", "criado", "ultima_atividade", "assunto", "assuntos"}

var placeholderRE = regexp.MustCompile(`\{([^{}\s]*)\}`)

// Vars holds the values of the placeholders for one message.
type Vars struct {
	Protocolo          string
	IDSuporte          string
	Nome               string
	Horario            string
	ProximoAtendimento string
	Posicao            string // place in the queue
	Espera             string // estimated wait, e.g. "cerca de 10 minutos"
	Atendente          string // the Encantador's name
	Prazo              string // return date promised for the product team
	Status             string // a ticket's status as customers read it
	Solicitante        string
	Criado             string
	UltimaAtividade    string
	Assunto            string // a ticket's topic, as its trail's title
	Assuntos           string // the topics free text may be about: "*Emitir NF-e* ou *Emitir NFS-e*"
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
	case "posicao":
		return v.Posicao, true
	case "espera":
		return v.Espera, true
	case "atendente":
		return v.Atendente, true
	case "prazo":
		return v.Prazo, true
	case "status":
		return v.Status, true
	case "solicitante":
		return v.Solicitante, true
	case "criado":
		return v.Criado, true
	case "ultima_atividade":
		return v.UltimaAtividade, true
	case "assunto":
		return v.Assunto, true
	case "assuntos":
		return v.Assuntos, true
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
