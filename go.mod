module github.com/fedmatch/fedmatch

go 1.26.0
