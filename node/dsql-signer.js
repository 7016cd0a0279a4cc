'use strict';
// `require('rds-iam/dsql-signer')`: @aws-sdk/dsql-signer's `DsqlSigner`, backed by rds-iam (js/peers.js).
const { makePeers } = require('./js/peers.js');

const { DsqlSigner } = makePeers(require('./main.js'));
module.exports = { DsqlSigner };
