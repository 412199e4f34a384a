package heddle

import "testing"

func BenchmarkEncodeIPCSmall(b *testing.B) {
	t := smallTable(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := EncodeIPC(t); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeIPCSmall(b *testing.B) {
	data, _ := EncodeIPC(smallTable(b))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeIPC(data); err != nil {
			b.Fatal(err)
		}
	}
}
