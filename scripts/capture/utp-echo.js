// A uTP (BEP 29) service that is not BitTorrent, for scripts/make-realworld-captures:
// real uTP stacks from the npm registry carrying a few lines of text.
//   server: utp-native (Node bindings of libutp, BitTorrent Inc.'s uTP library) sends a
//           text banner, then answers each chunk it receives with "echo: <chunk>".
//   client: utp-native or the pure-JavaScript `utp` package (an independent uTP
//           implementation) sends a few short lines (under 68 bytes in all, the size of
//           a BitTorrent handshake, so nothing can be mistaken for one), reads the
//           answers and closes.
// usage: node utp-echo.js server ADDR PORT
//        node utp-echo.js client native|js ADDR PORT
// Modules are found through NODE_PATH (the npm cache folder, never the repository).
'use strict'

const [mode, ...rest] = process.argv.slice(2)
const BANNER = 'utp-echo 1.0: not BitTorrent, just text over uTP\n' +
  Array.from({ length: 24 }, (_, i) => `line ${String(i + 1).padStart(2, '0')} of the banner: the quick brown fox jumps over the lazy dog\n`).join('')
const LINES = ['hello\n', 'test\n', 'bla\n', 'bye\n']
const log = (m) => console.error(`[utp-echo ${mode}] ${m}`)

function server (addr, port) {
  const utp = require('utp-native')
  const srv = utp.createServer((sock) => {
    log('connection')
    sock.write(BANNER)
    sock.on('data', (d) => sock.write('echo: ' + d.toString()))
    sock.on('end', () => { log('peer ended'); sock.end() })
    sock.on('error', (e) => log('socket error ' + e.message))
  })
  srv.listen(Number(port), addr, () => log(`listening on ${addr}:${port}`))
}

function client (impl, addr, port) {
  const utp = require(impl === 'js' ? 'utp' : 'utp-native')
  const sock = utp.connect(Number(port), addr)
  let got = 0
  let i = 0
  const next = () => {
    if (i < LINES.length) {
      sock.write(LINES[i++])
      setTimeout(next, 400)
    } else {
      setTimeout(() => sock.end(), 500)
    }
  }
  sock.on('connect', () => { log('connected'); setTimeout(next, 300) })
  sock.on('data', (d) => { got += d.length })
  sock.on('end', () => { log(`ended, ${got} bytes received`); setTimeout(() => process.exit(got > 0 ? 0 : 2), 500) })
  sock.on('close', () => { log(`closed, ${got} bytes received`); setTimeout(() => process.exit(got > 0 ? 0 : 2), 500) })
  sock.on('error', (e) => { log('error ' + e.message); process.exit(1) })
  setTimeout(() => { log('timeout'); process.exit(3) }, 15000)
}

if (mode === 'server') server(...rest)
else if (mode === 'client') client(...rest)
else { console.error('usage: utp-echo.js server ADDR PORT | client native|js ADDR PORT'); process.exit(1) }
