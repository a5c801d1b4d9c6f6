import { expect } from '@open-wc/testing';
import * as api from '../../src/index.js';

describe('package entry', () => {
  it('defines <multi-cloud-uploader> and exports the engine and the provider registry', () => {
    expect(customElements.get('multi-cloud-uploader')).to.equal(api.MultiCloudUploader);
    expect(api.UploadManager).to.be.a('function');
    expect(api.providerNames()).to.include('s3');
    expect(api.UploadErrorCode.UrlExpired).to.equal('url-expired');
  });
  it('creates an adapter by provider name, loading its module on first use, and refuses unknown names', async () => {
    expect((await api.createAdapter('s3', { endpoint: '/api' })).id).to.equal('s3');
    const refusal = await api.createAdapter('nope').catch((error: unknown) => error);
    expect(String(refusal)).to.match(/Unknown provider "nope"/);
  });
});
