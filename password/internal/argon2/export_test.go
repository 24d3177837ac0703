package argon2

// Fill sets every word of m's memory to v, for tests that need it dirty.
func Fill(m *Memory, v uint64) {
	for i := range m.blocks {
		for j := range m.blocks[i] {
			m.blocks[i][j] = v
		}
	}
}
