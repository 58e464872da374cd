package match

import "strings"

// nicknameGroups are given names that agencies record for the same
// person: English short forms (Bill for William) and the same name in
// other languages' spelling (Giuseppe for Joseph). Each line is one
// group. Kept short on purpose: a group says two names are the same
// given name, so it must be one an officer would accept.
var nicknameGroups = []string{
	"WILLIAM BILL BILLY WILL WILLY LIAM WILHELM GUILLAUME GUILLERMO",
	"ROBERT BOB BOBBY ROB ROBBIE ROBERTO",
	"RICHARD RICK RICKY DICK RICH RICARDO",
	"JAMES JIM JIMMY JAMIE",
	"JOHN JACK JOHNNY JON JEAN JUAN JOHANN JOHANNES GIOVANNI IVAN IOANNIS JAN",
	"JOSEPH JOE JOEY JOSE GIUSEPPE JOSEF YOSEF YUSUF",
	"MICHAEL MIKE MICK MICKY MIGUEL MICHEL MICHELE MIKHAIL MICHAL",
	"ALEXANDER ALEX ALEC SASHA ALEKSANDR ALEXANDRE ALESSANDRO ALEJANDRO ISKANDAR",
	"ELIZABETH LIZ LIZZIE BETH BETTY ELISABETH ISABEL ELISA ELSA",
	"MARGARET MAGGIE MEG PEGGY MARGARETE MARGHERITA",
	"CATHERINE KATHERINE KATE KATIE KATHY CATARINA CATALINA EKATERINA KATARZYNA",
	"MOHAMMED MOHAMMAD MOHAMED MUHAMMAD MUHAMMED MEHMET MOHAMAD",
	"AHMED AHMAD AHMET",
	"PETER PETE PIERRE PEDRO PIETRO PIOTR PYOTR",
	"THOMAS TOM TOMMY TOMAS TOMMASO",
	"ANTHONY TONY ANTONIO ANTON ANTOINE",
	"NICHOLAS NICK NICOLAS NIKOLAI NICOLA NIKOS NIKOLAOS",
	"STEPHEN STEVEN STEVE STEFAN ESTEBAN STEFANO",
	"EDWARD ED EDDIE TED EDUARDO",
	"DANIEL DAN DANNY",
	"DAVID DAVE DAVY DAWID DAVIDE",
	"ANDREW ANDY ANDREAS ANDRES ANDREI ANDRZEJ ANDREA",
	"CHRISTOPHER CHRIS KIT CHRISTOPH CRISTOBAL",
	"SUSAN SUE SUSIE SUZANNE SUSANNA",
	"MARY MARIA MARIE MARIYA MIRIAM MARYAM",
	"ANNA ANN ANNE ANNIE HANNA HANNAH",
	"SARAH SARA SALLY",
	"FATIMA FATMA FATEMEH",
	"AISHA AYESHA AYSE AICHA",
	"SERGEI SERGEY SERGIO SERGE",
}

// nicknames maps a given name to its group.
var nicknames = func() map[string]int {
	m := map[string]int{}
	for i, g := range nicknameGroups {
		for _, n := range strings.Fields(g) {
			m[n] = i + 1
		}
	}
	return m
}()

// sameGivenName reports whether two normalised given names are variants
// of one name (nicknameGroups).
func sameGivenName(a, b string) bool {
	ga, gb := nicknames[a], nicknames[b]
	return ga != 0 && ga == gb
}
