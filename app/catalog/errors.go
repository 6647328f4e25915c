package catalog

import (
	"errors"
	"fmt"
)

// ErrInvalidCatalog is wrapped by every error Decode returns.
var ErrInvalidCatalog = errors.New("catalog: invalid catalog")

// SchemaError is a problem in a catalog document, located by service code and
// field name where they apply. It unwraps to ErrInvalidCatalog.
type SchemaError struct {
	Service string // service code, "" for catalog-level problems
	Field   string // field name, "" for service-level problems
	Problem string // what is wrong, e.g. "select without options"
}

func (e *SchemaError) Error() string {
	switch {
	case e.Service == "":
		return "catalog: " + e.Problem
	case e.Field == "":
		return fmt.Sprintf("catalog: service %q: %s", e.Service, e.Problem)
	default:
		return fmt.Sprintf("catalog: service %q field %q: %s", e.Service, e.Field, e.Problem)
	}
}

// Unwrap makes errors.Is(err, ErrInvalidCatalog) hold.
func (e *SchemaError) Unwrap() error { return ErrInvalidCatalog }
