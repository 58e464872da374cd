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

// places are places of birth, one drawn per person from the passport
// number (not the generator, so adding them changed no earlier draw).
var places = []string{"London", "Manchester", "New York", "Chicago", "Berlin", "München", "Paris", "Lyon", "Roma",
	"Madrid", "Warszawa", "Bucureşti", "İstanbul", "Lagos", "Accra", "Nairobi", "Mumbai", "Karachi", "Dhaka",
	"Beijing", "Hà Nội", "Seoul", "São Paulo", "Ciudad de México", "Bogotá", "Damascus", "Baghdad", "Kabul", "Asmara",
	"Kyiv", "Moskva", "Tirana", "Cairo", "Casablanca"}

// PlaceOfBirth returns p's place of birth.
func (p *Person) PlaceOfBirth() string {
	h := 0
	for _, c := range p.Passport.Number {
		h = h*31 + int(c)
	}
	return places[(h%len(places)+len(places))%len(places)]
}

// streets, streetTypes and towns make home addresses, one per person,
// drawn like places from the passport number.
var (
	streets = []string{"High", "Station", "Church", "Victoria", "Green", "Manor", "Park", "Queen", "Mill", "King",
		"Albert", "Garden", "Bridge", "Chapel", "Cedar", "Elm", "Willow", "Orchard", "Meadow", "River",
		"Lindenallee", "Goethe", "Schiller", "Mozart", "Voltaire", "Garibaldi", "Mazzini", "Cervantes", "Kościuszko", "Atatürk",
		"Abbey", "Beech", "Castle", "Dover", "Forest", "Grove", "Hawthorn", "Highfield", "Kingsway", "Laburnum",
		"Maple", "Nelson", "Oakwood", "Poplar", "Primrose", "Rosemary", "Sandy", "Thornton", "Windsor", "York",
		"Bahnhof", "Kirchweg", "Lessing", "Rembrandt", "Pasteur", "Verdi", "Chopin", "Sibelius", "Dvořák", "Bolívar"}
	streetTypes = []string{"Street", "Road", "Avenue", "Lane", "Close", "Way", "Crescent", "Place"}
	towns       = []string{"Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Hamburg", "Köln", "Marseille", "Torino",
		"Sevilla", "Kraków", "Rotterdam", "Göteborg", "Porto", "Dublin", "Gent", "Graz", "Brno", "Cluj", "Izmir"}
	// abbreviations are how a clerk shortens a street type.
	abbreviations = strings.NewReplacer("Street", "St", "Road", "Rd", "Avenue", "Ave", "Crescent", "Cres", "Place", "Pl")
)

// Address returns p's home address.
func (p *Person) Address() string {
	h := uint32(17)
	for _, c := range p.Passport.Number {
		h = h*16777619 ^ uint32(c)
	}
	return address(h)
}

// address makes an address from h's bits.
func address(h uint32) string {
	return fmt.Sprintf("%d %s %s, %s", 1+h%400, streets[h/400%uint32(len(streets))],
		streetTypes[h/24000%uint32(len(streetTypes))], towns[h/192000%uint32(len(towns))])
}

// exonyms are places as another country's agency may write them.
var exonyms = map[string]string{"München": "Munich", "Roma": "Rome", "Warszawa": "Warsaw", "Bucureşti": "Bucharest",
	"İstanbul": "Istanbul", "Hà Nội": "Hanoi", "Ciudad de México": "Mexico City", "Moskva": "Moscow", "Kyiv": "Kiev",
	"São Paulo": "Sao Paulo", "Beijing": "Peking", "Bogotá": "Bogota"}

// native are surnames as they are written in their own script, for
// records and probes that another agency keeps in that script.
var native = map[string]string{
	"Ivanov": "Иванов", "Smirnov": "Смирнов", "Kuznetsov": "Кузнецов", "Papadopoulos": "Παπαδόπουλος",
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
		Nationalities: []string{p.Nationality}, Documents: []fedmatch.Document{p.Passport}, PlaceOfBirth: p.PlaceOfBirth(),
		Address: p.Address(),
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

// Variant returns the probe another agency would send for p: what it
// holds, with the errors real records carry, each with its own odds:
// typing errors in either name, a name transliterated or written in its
// own script, given names reordered, shortened to an initial or missing a
// middle name, surname and given name swapped, a date of birth with day
// and month swapped, a year off by one, a mistyped digit, or only partly
// known, a missing sex or nationality, an address missing (in half of
// them), out of date, mistyped or abbreviated, and a passport renewed,
// mistyped or not held. Most variants carry one or two errors; some none.
func (g *Gen) Variant(p Person) fedmatch.Probe {
	pr := p.Probe()
	pr.PlaceOfBirth = p.PlaceOfBirth()
	pr.Documents = []fedmatch.Document{p.Passport}
	odds := func(n int) bool { return g.r.IntN(n) == 0 }
	if odds(6) {
		pr.Surname = g.Misspell(pr.Surname)
	}
	if odds(8) {
		pr.GivenNames = g.Misspell(pr.GivenNames)
	}
	if n, ok := native[p.Surname]; ok && odds(3) {
		pr.Surname = n
	}
	if odds(10) { // an accented name typed without its accents, or the ICAO way
		pr.Surname = strings.NewReplacer("ü", "ue", "ä", "ae", "ö", "oe", "ø", "oe", "Ø", "Oe").Replace(pr.Surname)
	}
	if gs := strings.Fields(pr.GivenNames); len(gs) > 1 {
		switch {
		case odds(6):
			pr.GivenNames = gs[1] + " " + gs[0]
		case odds(6):
			pr.GivenNames = gs[0]
		case odds(6):
			pr.GivenNames = gs[0] + " " + gs[1][:1]
		}
	}
	if odds(25) {
		pr.Surname, pr.GivenNames = strings.Fields(pr.GivenNames)[0], pr.Surname
	}
	d := pr.DateOfBirth
	switch {
	case odds(15):
		if d.Day() <= "12" {
			pr.DateOfBirth = fedmatch.Date(d.Year() + "-" + d.Day() + "-" + d.Month())
		}
	case odds(15):
		y := 0
		fmt.Sscan(d.Year(), &y)
		pr.DateOfBirth = fedmatch.Date(fmt.Sprintf("%04d%s", y+1-2*g.r.IntN(2), string(d)[4:]))
	case odds(15):
		b := []byte(d)
		i := []int{2, 3, 8, 9}[g.r.IntN(4)]
		b[i] = byte('0' + (int(b[i]-'0')+1+g.r.IntN(8))%10)
		if nd := fedmatch.Date(b); nd.Validate() == nil {
			pr.DateOfBirth = nd
		}
	case odds(15):
		pr.DateOfBirth = fedmatch.Date(d.Year())
	case odds(30):
		pr.DateOfBirth = ""
	case odds(100): // wrong altogether
		pr.DateOfBirth = fedmatch.Date(fmt.Sprintf("%04d-%02d-%02d", 1950+g.r.IntN(55), 1+g.r.IntN(12), 1+g.r.IntN(28)))
	}
	switch {
	case odds(5):
		pr.Sex = ""
	case odds(100):
		pr.Sex = map[string]string{"M": "F", "F": "M"}[pr.Sex]
	}
	switch {
	case odds(5):
		pr.Nationality = ""
	case odds(40): // a second nationality
		pr.Nationality = states[g.r.IntN(len(states))]
	}
	switch {
	case odds(3):
		pr.PlaceOfBirth = ""
	case odds(10):
		if ex, ok := exonyms[pr.PlaceOfBirth]; ok {
			pr.PlaceOfBirth = ex
		}
	case odds(50): // a town, not the city
		pr.PlaceOfBirth = places[g.r.IntN(len(places))]
	}
	switch {
	case odds(2): // not asked, or not known
	case odds(8): // moved
		pr.Address = address(g.r.Uint32())
	case odds(6):
		pr.Address = g.Misspell(p.Address())
	case odds(6):
		pr.Address = abbreviations.Replace(p.Address())
	default:
		pr.Address = p.Address()
	}
	switch {
	case odds(3):
		pr.Documents = nil
	case odds(8): // renewed: a new number
		pr.Documents[0].Number = fmt.Sprintf("%s%07d", string(rune('A'+g.r.IntN(26))), g.r.IntN(10_000_000))
	case odds(15):
		b := []byte(pr.Documents[0].Number)
		i := 1 + g.r.IntN(len(b)-2)
		b[i], b[i+1] = b[i+1], b[i]
		pr.Documents[0].Number = string(b)
	case odds(15): // misread
		b := []byte(pr.Documents[0].Number)
		i := 1 + g.r.IntN(len(b)-1)
		b[i] = byte('0' + (int(b[i]-'0')+1+g.r.IntN(8))%10)
		pr.Documents[0].Number = string(b)
	}
	return pr
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

// Twice draws n people and records each twice: once as drawn and once as
// another agency would record them (Variant). who[i] is record i's
// person: the labels for estimating and testing the matcher's model.
func Twice(n int, seed uint64) (recs []*fedmatch.Record, who []int) {
	g := New(seed)
	for i := range n {
		p := g.Person()
		a := g.Record(fmt.Sprintf("p%d-a", i), p, 2026)
		a.Aliases = nil // the variant, not an alias, is the second record
		v := g.Variant(p)
		b := &fedmatch.Record{ID: fmt.Sprintf("p%d-b", i), Category: a.Category, CollectedAt: a.CollectedAt, RetentionUntil: a.RetentionUntil,
			Surname: v.Surname, GivenNames: v.GivenNames, DateOfBirth: v.DateOfBirth, Sex: v.Sex, PlaceOfBirth: v.PlaceOfBirth, Address: v.Address, Documents: v.Documents}
		if v.Nationality != "" {
			b.Nationalities = []string{v.Nationality}
		}
		recs, who = append(recs, a, b), append(who, i, i)
	}
	return recs, who
}
