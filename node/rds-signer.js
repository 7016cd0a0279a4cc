'use strict';
// `require('rds-iam/rds-signer')`: @aws-sdk/rds-signer's `Signer`, backed by rds-iam (js/peers.js).
const { makePeers } = require('./js/peers.js');

const { Signer } = makePeers(require('./main.js'));
module.exports = { Signer };
