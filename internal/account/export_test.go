package account

// HoldSlots takes every slot of h until release is called: tests see what a saturated
// Hasher does without racing real computations.
func HoldSlots(h *Hasher) (release func()) {
	for range cap(h.slots) {
		h.slots <- struct{}{}
	}
	return func() {
		for range cap(h.slots) {
			<-h.slots
		}
	}
}
