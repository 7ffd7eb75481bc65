package redis

// keys builds every Redis key Sesame uses, all under one prefix.
type keys struct{ prefix string }

func (k keys) key(kind, id string) string { return k.prefix + kind + ":" + id }
