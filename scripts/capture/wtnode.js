// A WebTorrent leech for scripts/make-realworld-captures: WebTorrent's own JavaScript peer wire
// (webtorrent 1.9.7 from the npm registry; uTP through utp-native, falling back to TCP).
// Everything that could reach outside the namespaces is off: DHT, trackers, LSD, UPnP, NAT-PMP,
// web seeds. The one peer is added by hand.
// usage: node wtnode.js TORRENT SAVE_DIR PEER_IP:PORT [TIMEOUT_S]
// Modules are found through NODE_PATH (the npm cache folder, never the repository).
'use strict'
const fs = require('fs')
const WebTorrent = require('webtorrent')

const [torrentFile, saveDir, peer, timeout = '90'] = process.argv.slice(2)
const log = (m) => console.error(`[wtnode] ${m}`)
const client = new WebTorrent({
  dht: false, tracker: false, lsd: false, natUpnp: false, natPmp: false, webSeeds: false, utp: true
})
client.on('error', (e) => { log('client error ' + e.message); process.exit(1) })
const torrent = client.add(fs.readFileSync(torrentFile), { path: saveDir })
torrent.on('ready', () => { log('ready, adding peer ' + peer); torrent.addPeer(peer) })
torrent.on('wire', (wire, addr) => log(`wire ${addr} ${wire.type || ''}`))
torrent.on('done', () => {
  log('done')
  setTimeout(() => client.destroy(() => process.exit(0)), 2000)
})
setTimeout(() => { log('timeout'); process.exit(2) }, Number(timeout) * 1000)
