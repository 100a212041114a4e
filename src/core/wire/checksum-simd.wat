;; One's-complement sum over a block of this module's memory with 128-bit SIMD. It is the fast path
;; of checksum.ts for large buffers; scripts/build-wasm.mjs assembles it into checksum-simd.ts.
;;
;; sum16le(n): the caller has copied n bytes to offset 0 and zeroed the bytes up to the next multiple
;; of 16. Lanes are read as little-endian 16-bit words; the folded 16-bit sum is returned, to be
;; byte-swapped by the caller (the one's-complement sum is byte-order independent, RFC 1071 §2(B)).
(module
  (memory (export "mem") 2)
  (func (export "sum16le") (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $chunkEnd i32) (local $end64 i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $acc64 v128) (local $t i64)
    (local.set $end (i32.and (i32.add (local.get $n) (i32.const 15)) (i32.const -16)))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; At most 4096 iterations of 64 bytes per chunk: each u32 lane stays below 2^31.
        (local.set $chunkEnd (i32.add (local.get $p) (i32.const 262144)))
        (if (i32.gt_u (local.get $chunkEnd) (local.get $end))
          (then (local.set $chunkEnd (local.get $end))))
        (local.set $a (v128.const i64x2 0 0))
        (local.set $b (v128.const i64x2 0 0))
        (local.set $c (v128.const i64x2 0 0))
        (local.set $d (v128.const i64x2 0 0))
        ;; 64 bytes per iteration while whole 64-byte groups remain.
        (local.set $end64 (i32.sub (local.get $chunkEnd) (i32.const 64)))
        (block $tail
          (loop $inner4
            (br_if $tail (i32.gt_s (local.get $p) (local.get $end64)))
            (local.set $a (i32x4.add (local.get $a) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=0 (local.get $p)))))
            (local.set $b (i32x4.add (local.get $b) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=16 (local.get $p)))))
            (local.set $c (i32x4.add (local.get $c) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=32 (local.get $p)))))
            (local.set $d (i32x4.add (local.get $d) (i32x4.extadd_pairwise_i16x8_u (v128.load offset=48 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (br $inner4)))
        ;; 16 bytes at a time for the rest of the chunk.
        (block $chunkDone
          (loop $inner1
            (br_if $chunkDone (i32.ge_u (local.get $p) (local.get $chunkEnd)))
            (local.set $a (i32x4.add (local.get $a) (i32x4.extadd_pairwise_i16x8_u (v128.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $inner1)))
        ;; Widen the four u32x4 accumulators into the u64x2 total.
        (local.set $a (i32x4.add (local.get $a) (local.get $b)))
        (local.set $c (i32x4.add (local.get $c) (local.get $d)))
        (local.set $acc64 (i64x2.add (local.get $acc64) (i64x2.extend_low_i32x4_u (local.get $a))))
        (local.set $acc64 (i64x2.add (local.get $acc64) (i64x2.extend_high_i32x4_u (local.get $a))))
        (local.set $acc64 (i64x2.add (local.get $acc64) (i64x2.extend_low_i32x4_u (local.get $c))))
        (local.set $acc64 (i64x2.add (local.get $acc64) (i64x2.extend_high_i32x4_u (local.get $c))))
        (br $outer)))
    (local.set $t (i64.add (i64x2.extract_lane 0 (local.get $acc64)) (i64x2.extract_lane 1 (local.get $acc64))))
    ;; Fold to 16 bits with end-around carry.
    (block $folded
      (loop $fold
        (br_if $folded (i64.eqz (i64.shr_u (local.get $t) (i64.const 16))))
        (local.set $t (i64.add (i64.and (local.get $t) (i64.const 0xffff)) (i64.shr_u (local.get $t) (i64.const 16))))
        (br $fold)))
    (i32.wrap_i64 (local.get $t))))
