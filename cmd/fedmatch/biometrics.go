package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/fedmatch/fedmatch"
	"github.com/fedmatch/fedmatch/node/biometric"
	"github.com/fedmatch/fedmatch/node/face"
	"github.com/fedmatch/fedmatch/node/store"
)

// faceModelsFile, inside a node's data directory, lists the face models
// the node holds: a JSON array of {"name", "version", "dim",
// "calibration"}. Without it the node holds none and refuses face probes
// and records with a clear 'unsupported'.
const faceModelsFile = "face-models.json"

// loadFaceModels reads the node's face models. Errors: Malformed.
func loadFaceModels(dataDir string) ([]face.Model, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, faceModelsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fedmatch.E("node.LoadFaceModels", fedmatch.Internal, "%w", err)
	}
	var ms []face.Model
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fedmatch.E("node.LoadFaceModels", fedmatch.Malformed, "%s: %w", faceModelsFile, err)
	}
	return ms, nil
}

// openStore opens a node's record store with its biometric index, as
// every command that reads or writes a node's records must: an import
// checks templates against the face models the node holds.
func openStore(dataDir string, index fedmatch.Indexer, log *slog.Logger) (*store.Store, error) {
	faces, err := loadFaceModels(dataDir)
	if err != nil {
		return nil, err
	}
	cfg := biometric.DefaultConfig()
	cfg.Faces = faces
	bio, err := biometric.New(cfg)
	if err != nil {
		return nil, err
	}
	return store.Open(dataDir, index, log, store.WithBiometrics(bio))
}
