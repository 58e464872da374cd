package match

// SpokenLatin exposes spokenLatin to the package's tests.
var SpokenLatin = spokenLatin
