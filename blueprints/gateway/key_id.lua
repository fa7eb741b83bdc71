-- Sets x-blueprints-key-id to the first 32 hex digits (128 bits) of SHA-256 of the caller's key, the token of
-- `Authorization: Bearer <token>` (the whole value without that scheme), so that Envoy Gateway's rate limit counts
-- per key without the key reaching the rate-limit service or its Redis. The digest is the prefix of the one LiteLLM
-- stores per key (hash_token: sha256 hex of the token); truncated, it can't stand in for that stored hash. Without
-- an Authorization header the header is removed (a client can't pick its own bucket; extAuth rejects such requests
-- before this filter runs anyway). Arithmetic only, no `bit` library: the same script runs in Envoy's LuaJIT and in
-- Envoy Gateway's Strict validator (gopher-lua, plain Lua 5.1; the tests run it under PUC Lua 5.1 too).
local HEADER = "x-blueprints-key-id"
local W32 = 4294967296
local floor = math.floor

-- 3-input bitwise functions as 16x16x16 tables over nibbles.
local function nibble_table(f)
  local t = {}
  for a = 0, 15 do
    for b = 0, 15 do
      for c = 0, 15 do
        local r, p, x, y, z = 0, 1, a, b, c
        for _ = 1, 4 do
          r = r + f(x % 2, y % 2, z % 2) * p
          x, y, z, p = floor(x / 2), floor(y / 2), floor(z / 2), p * 2
        end
        t[a * 256 + b * 16 + c] = r
      end
    end
  end
  return t
end

local XOR3 = nibble_table(function(x, y, z) return (x + y + z) % 2 end)
local CH = nibble_table(function(x, y, z) if x == 1 then return y end return z end)
local MAJ = nibble_table(function(x, y, z) if x + y + z >= 2 then return 1 end return 0 end)

local function op3(t, x, y, z)
  local r, p = 0, 1
  for _ = 1, 8 do
    local a, b, c = x % 16, y % 16, z % 16
    r = r + t[a * 256 + b * 16 + c] * p
    x, y, z, p = (x - a) / 16, (y - b) / 16, (z - c) / 16, p * 16
  end
  return r
end

local function ror(x, n)
  local s = 2 ^ n
  local low = x % s
  return (x - low) / s + low * (W32 / s)
end

local function shr(x, n)
  local s = 2 ^ n
  return (x - x % s) / s
end

local K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

local function sha256_hex(message)
  local length = #message
  local bits, tail = length * 8, {}
  for i = 8, 1, -1 do
    tail[i] = string.char(bits % 256)
    bits = floor(bits / 256)
  end
  message = message .. "\128" .. string.rep("\0", (55 - length) % 64) .. table.concat(tail)
  local h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
  local w = {}
  for block = 1, #message, 64 do
    for i = 0, 15 do
      local b1, b2, b3, b4 = string.byte(message, block + i * 4, block + i * 4 + 3)
      w[i] = ((b1 * 256 + b2) * 256 + b3) * 256 + b4
    end
    for i = 16, 63 do
      local x, y = w[i - 15], w[i - 2]
      w[i] = (w[i - 16] + op3(XOR3, ror(x, 7), ror(x, 18), shr(x, 3)) + w[i - 7]
              + op3(XOR3, ror(y, 17), ror(y, 19), shr(y, 10))) % W32
    end
    local a, b, c, d, e, f, g, hh = h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8]
    for i = 0, 63 do
      local t1 = (hh + op3(XOR3, ror(e, 6), ror(e, 11), ror(e, 25)) + op3(CH, e, f, g) + K[i + 1] + w[i]) % W32
      local t2 = op3(XOR3, ror(a, 2), ror(a, 13), ror(a, 22)) + op3(MAJ, a, b, c)
      hh, g, f, e, d, c, b, a = g, f, e, (d + t1) % W32, c, b, a, (t1 + t2) % W32
    end
    h[1], h[2], h[3], h[4] = (h[1] + a) % W32, (h[2] + b) % W32, (h[3] + c) % W32, (h[4] + d) % W32
    h[5], h[6], h[7], h[8] = (h[5] + e) % W32, (h[6] + f) % W32, (h[7] + g) % W32, (h[8] + hh) % W32
  end
  local hex = {}
  for i = 1, 8 do
    hex[i] = string.format("%04x%04x", floor(h[i] / 65536), h[i] % 65536)
  end
  return table.concat(hex)
end

function envoy_on_request(request_handle)
  local headers = request_handle:headers()
  local value = headers:get("authorization")
  if value == nil then
    headers:remove(HEADER)
    return
  end
  local token = string.match(value, "^[Bb]earer (.*)$") or value
  headers:replace(HEADER, string.sub(sha256_hex(token), 1, 32))
end
