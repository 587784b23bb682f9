-- demo_rand(x, seed, salt, n): deterministic pseudo-random integer in [0, n).
-- The outer hash matters: the multi-argument hash leaves the low bits of its arguments
-- correlated (hash(i, s, 1) and hash(i, s, 2) always have the same parity).
-- params: none
create or replace temp macro demo_rand(x, seed, salt, n) as
    cast(hash(hash(x, seed, salt)) % cast(n as ubigint) as bigint)
