package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/usergraph/usergraph/apperr"
)

// writeError answers a plain HTTP request in the shape of a GraphQL error
// response, so clients parse every usergraph error the same way.
func writeError(w http.ResponseWriter, status int, e *apperr.Error) {
	body := map[string]any{"errors": []any{map[string]any{"message": e.Message, "extensions": extensions(e)}}}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
