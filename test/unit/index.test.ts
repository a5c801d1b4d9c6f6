import { expect } from '@open-wc/testing';
import * as api from '../../src/index.js';

describe('package entry', () => {
  it('defines <multi-cloud-uploader> and exports the engine and adapters by name', () => {
    expect(customElements.get('multi-cloud-uploader')).to.equal(api.MultiCloudUploader);
    expect(api.UploadManager).to.be.a('function');
    expect(api.createS3Adapter).to.be.a('function');
    expect(api.providerNames()).to.include('s3');
    expect(api.UploadErrorCode.UrlExpired).to.equal('url-expired');
  });
  it('creates an adapter by provider name and refuses unknown names', () => {
    expect(api.createAdapter('s3', { endpoint: '/api' }).id).to.equal('s3');
    expect(() => api.createAdapter('nope')).to.throw(/Unknown provider "nope"/);
  });
});
