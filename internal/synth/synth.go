// Package synth generates synthetic people and agency records,
// deterministically from a seed, for the demo and the benchmarks. No real
// person is represented; names are drawn from common-name lists of several
// languages so that normalisation and transliteration matter.
package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/fedmatch/fedmatch"
)

var surnames = []string{
	"Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson", "Johnson", "Garcia",
	"Martinez", "Rodriguez", "Hernández", "López", "González", "Pérez", "Sánchez", "Müller", "Schmidt", "Schneider",
	"Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schäfer", "Koch", "Richter", "Dubois", "Lefèvre",
	"Moreau", "Laurent", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Novák", "Kowalski", "Wiśniewski",
	"Nowak", "Ivanov", "Smirnov", "Kuznetsov", "Popescu", "Horváth", "Nagy", "Yılmaz", "Kaya", "Demir",
	"Khan", "Ahmed", "Hussain", "Ali", "Rahman", "Okafor", "Adeyemi", "Mensah", "Osei", "Mwangi",
	"Nguyen", "Tran", "Le", "Kim", "Lee", "Park", "Wang", "Li", "Zhang", "Chen",
	"Singh", "Kumar", "Sharma", "Patel", "Haddad", "Khoury", "Mansour", "Cohen", "Levi", "Mizrahi",
	"O'Brien", "Murphy", "Kelly", "Walsh", "Andersen", "Nielsen", "Hansen", "Johansson", "Karlsson", "Virtanen",
	"da Silva", "Santos", "Oliveira", "Pereira", "Costa", "van der Berg", "de Jong", "Jansen", "Papadopoulos", "Øvergaard",
}

var given = map[string][]string{
	"M": {"James", "John", "Mohammed", "Ahmed", "Ali", "José", "Luis", "Carlos", "Jean", "Pierre", "Hans", "Jürgen",
		"Giovanni", "Marco", "Piotr", "Jan", "Ivan", "Sergei", "Mehmet", "Mustafa", "Chidi", "Kwame", "Wei", "Minh",
		"Raj", "Arjun", "David", "Daniel", "Michael", "Thomas", "Andreas", "Lars", "João", "Nikos", "Omar", "Yusuf"},
	"F": {"Mary", "Sarah", "Fatima", "Aisha", "Maria", "Ana", "Carmen", "Marie", "Sophie", "Anna", "Ursula", "Giulia",
		"Francesca", "Agnieszka", "Olga", "Natalia", "Ayşe", "Zeynep", "Ngozi", "Ama", "Mei", "Linh", "Priya", "Anjali",
		"Rachel", "Leah", "Emma", "Ingrid", "Astrid", "Beatriz", "Eleni", "Layla", "Noor", "Hana", "Yuki", "Soo-ah"},
}

var states = []string{"GBR", "USA", "DEU", "FRA", "ITA", "ESP", "POL", "ROU", "TUR", "NGA", "GHA", "KEN", "IND", "PAK",
	"BGD", "CHN", "VNM", "KOR", "BRA", "MEX", "COL", "SYR", "IRQ", "AFG", "ERI", "UKR", "RUS", "ALB", "EGY", "MAR"}

// Person is a synthetic identity.
type Person struct {
	Surname     string
	GivenNames  string
	Sex         string
	DateOfBirth fedmatch.Date
	Nationality string
	Passport    fedmatch.Document
}

// Probe returns the biographic probe an officer would type for p.
func (p *Person) Probe() fedmatch.Probe {
	return fedmatch.Probe{Surname: p.Surname, GivenNames: p.GivenNames, DateOfBirth: p.DateOfBirth, Sex: p.Sex, Nationality: p.Nationality}
}

// Gen is a deterministic generator.
type Gen struct {
	r *rand.Rand
}

// New returns a generator for seed.
func New(seed uint64) *Gen { return &Gen{r: rand.New(rand.NewPCG(seed, 0x5eed))} }

// Person draws a new person.
func (g *Gen) Person() Person {
	sex := "M"
	if g.r.IntN(2) == 0 {
		sex = "F"
	}
	names := given[sex]
	gn := names[g.r.IntN(len(names))]
	if g.r.IntN(3) == 0 {
		gn += " " + names[g.r.IntN(len(names))]
	}
	nat := states[g.r.IntN(len(states))]
	return Person{
		Surname: surnames[g.r.IntN(len(surnames))], GivenNames: gn, Sex: sex,
		DateOfBirth: fedmatch.Date(fmt.Sprintf("%04d-%02d-%02d", 1950+g.r.IntN(55), 1+g.r.IntN(12), 1+g.r.IntN(28))),
		Nationality: nat,
		Passport:    fedmatch.Document{Type: "passport", Number: fmt.Sprintf("%s%07d", string(rune('A'+g.r.IntN(26))), g.r.IntN(10_000_000)), IssuingState: nat},
	}
}

// Record makes an agency record for p, with id, category, dates and flags
// drawn plausibly: most records current, some expired, a few flagged.
func (g *Gen) Record(id string, p Person, now int) *fedmatch.Record {
	cats := fedmatch.Categories()
	cat := cats[g.r.IntN(len(cats))]
	year := now - g.r.IntN(8)
	collected := fmt.Sprintf("%04d-%02d-%02d", year, 1+g.r.IntN(12), 1+g.r.IntN(28))
	r := &fedmatch.Record{
		ID: id, Category: cat, CollectedAt: fedmatch.Date(collected),
		RetentionUntil: fedmatch.Date(fmt.Sprintf("%04d%s", year+6, collected[4:])),
		Surname:        p.Surname, GivenNames: p.GivenNames, DateOfBirth: p.DateOfBirth, Sex: p.Sex,
		Nationalities: []string{p.Nationality}, Documents: []fedmatch.Document{p.Passport},
	}
	if cat == fedmatch.ArrestBiometrics {
		r.Flags = append(r.Flags, fedmatch.FlagNationalSecurity)
		if g.r.IntN(2) == 0 {
			r.Flags = append(r.Flags, fedmatch.FlagCharged)
		} else {
			r.Flags = append(r.Flags, fedmatch.FlagNoFurtherAction)
		}
	}
	if g.r.IntN(50) == 0 {
		r.Flags = append(r.Flags, fedmatch.FlagJuvenile)
	}
	if g.r.IntN(40) == 0 {
		r.Flags = append(r.Flags, fedmatch.FlagNoForeignSharing)
	}
	if cat == fedmatch.FalseDocument {
		r.Documents[0].Status = "fraudulent"
	}
	if g.r.IntN(4) == 0 {
		r.Aliases = []string{p.GivenNames + " " + surnames[g.r.IntN(len(surnames))]}
	}
	return r
}

// Misspell returns s with one plausible typing error, for probes that do
// not match a record exactly.
func (g *Gen) Misspell(s string) string {
	rs := []rune(s)
	if len(rs) < 4 {
		return s
	}
	i := 1 + g.r.IntN(len(rs)-2)
	switch g.r.IntN(3) {
	case 0: // transpose
		rs[i], rs[i+1] = rs[i+1], rs[i]
	case 1: // drop
		rs = append(rs[:i], rs[i+1:]...)
	default: // double
		rs = append(rs[:i+1], rs[i:]...)
	}
	return string(rs)
}

// Federation draws records for several agencies from one pool of people,
// so that some people are held by more than one agency. Each agency gets
// n records; about a fifth of its people are shared with another agency.
func Federation(seed uint64, agencies []fedmatch.AgencyID, n, year int) (map[fedmatch.AgencyID][]*fedmatch.Record, []Person) {
	g := New(seed)
	shared := n / 5
	pool := make([]Person, shared+len(agencies)*(n-shared))
	for i := range pool {
		pool[i] = g.Person()
	}
	out := map[fedmatch.AgencyID][]*fedmatch.Record{}
	for ai, a := range agencies {
		prefix := strings.ToUpper(string(a[:2]))
		for i := range n {
			var p Person
			if i < shared {
				p = pool[i] // the shared people: held everywhere
			} else {
				p = pool[shared+ai*(n-shared)+(i-shared)]
			}
			out[a] = append(out[a], g.Record(fmt.Sprintf("%s-%07d", prefix, i), p, year))
		}
	}
	return out, pool
}
