package postgres_test

import (
	"testing"

	"github.com/sesameid/sesame/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }
