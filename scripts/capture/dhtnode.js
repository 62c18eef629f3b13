// A WebTorrent DHT node for scripts/make-dht-captures: the npm `bittorrent-dht` 10.0.7 client
// (k-rpc underneath), an implementation independent of libtorrent's and aria2's. It bootstraps
// only from the nodes given (never its default routers), looks the infohash up (get_peers),
// announces itself for it (announce_peer) and logs the peers it learns.
// usage: node dhtnode.js ADDR BOOT_IP:PORT[,...] INFOHASH [TIMEOUT_S]
// Modules are found through NODE_PATH (the npm cache folder, never the repository).
'use strict'
const DHT = require('bittorrent-dht')

const [addr, boot, infoHash, timeout = '25'] = process.argv.slice(2)
const log = (m) => console.error(`[dhtnode] ${m}`)
const dht = new DHT({ bootstrap: boot.split(',') })
dht.on('error', (e) => log('error ' + e.message))
dht.on('warning', (e) => log('warning ' + e.message))
dht.on('peer', (peer, ih) => log(`peer ${peer.host}:${peer.port} for ${ih.toString('hex')}`))
dht.on('ready', () => {
  log('ready, ' + dht.toJSON().nodes.length + ' nodes')
  dht.lookup(infoHash, (err, n) => {
    log(`lookup done (${err ? err.message : n + ' nodes'})`)
    dht.announce(infoHash, 6883, (e) => log('announce ' + (e ? e.message : 'ok')))
  })
})
dht.listen(6881, addr, () => log('listening on ' + addr + ':6881'))
setTimeout(() => dht.destroy(() => process.exit(0)), Number(timeout) * 1000)
