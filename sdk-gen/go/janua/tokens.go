package janua

import "sync"

// Tokens are the two tokens of a signed-in session (a janua.auth.v1.TokenPair).
type Tokens struct {
	AccessToken  string
	RefreshToken string
}

// TokenStore keeps one session's tokens between calls; nil means signed out. The client
// reads the access token before each call and writes a new pair after sign-in and after
// every refresh. Implementations must be safe for concurrent use.
type TokenStore interface {
	Get() *Tokens
	Set(tokens *Tokens)
}

// MemoryTokenStore keeps the tokens in memory: the default store.
type MemoryTokenStore struct {
	mu     sync.Mutex
	tokens *Tokens
}

// NewMemoryTokenStore returns an empty MemoryTokenStore.
func NewMemoryTokenStore() *MemoryTokenStore { return &MemoryTokenStore{} }

// Get returns a copy of the stored tokens, or nil.
func (s *MemoryTokenStore) Get() *Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		return nil
	}
	copied := *s.tokens
	return &copied
}

// Set replaces the stored tokens; nil signs out.
func (s *MemoryTokenStore) Set(tokens *Tokens) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if tokens == nil {
		s.tokens = nil
		return
	}
	copied := *tokens
	s.tokens = &copied
}
