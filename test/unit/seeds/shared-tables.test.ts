import { expect } from '@open-wc/testing';
import { COS_V4_SLICE_SIZES } from '../../../src/providers/tencent-cos-v4.js';
import { COS_V4_EMULATOR_SLICE_SIZES } from '../../../src/emulators/tencent-cos-v4-emulator.js';
import { METASTUDIO_CATEGORIES_BY_ASSET_TYPE, METASTUDIO_FILE_CATEGORIES, metaStudioContentType } from '../../../src/providers/huawei-metastudio.js';
import { METASTUDIO_HANDLER_FILE_CATEGORIES, metaStudioHandlerContentType } from '../../../src/server/huawei-metastudio-protocol.js';
import { METASTUDIO_EMULATOR_CONTENT_TYPES } from '../../../src/emulators/huawei-metastudio-emulator.js';

/**
 * Every table an adapter, a handler and an emulator each keep for one provider, pinned to the seed page or the note it
 * was written from. They are separate copies on purpose, so that a wrong entry in one is refused by another; this
 * file is what keeps all of them right, and it quotes the line each one follows.
 */
describe('shared tables, pinned to the seeds and notes', () => {
  // Note tencent-cos-v4.md, init: "`slice_size` | int | yes | one of `524288`, `1048576`, `2097152`, `3145728` (doc, list page)".
  it('COS v4 slice sizes: adapter and emulator both hold the four the note lists', () => {
    const documented = [524288, 1048576, 2097152, 3145728];
    expect([...COS_V4_SLICE_SIZES]).to.deep.equal(documented);
    expect([...COS_V4_EMULATOR_SLICE_SIZES]).to.deep.equal(documented);
  });

  // Seed 003: "文件类型为gif,Content-Type填写image/gif", "文件类型为jpeg、jpg,Content-Type填写image/jpeg", "文件类型为png,Content-Type填写
  // image/png", "文件类型为mp4,Content-Type填写video/mp4", "文件类型为mp3,Content-Type填写audio/mp3", "文件类型为wav,Content-Type填写
  // audio/wav", "其余所有类型,Content-Type填写application/octet-stream".
  it('MetaStudio Content-Type by file type: adapter, handler and emulator follow seed 003', () => {
    const documented: Record<string, string> = {
      gif: 'image/gif',
      jpeg: 'image/jpeg',
      jpg: 'image/jpeg',
      png: 'image/png',
      mp4: 'video/mp4',
      mp3: 'audio/mp3',
      wav: 'audio/wav',
    };
    expect({ ...METASTUDIO_EMULATOR_CONTENT_TYPES }).to.deep.equal(documented);
    for (const [type, contentType] of [...Object.entries(documented), ['txt', 'application/octet-stream'], ['webp', 'application/octet-stream']]) {
      expect(metaStudioContentType(type!), `adapter ${type}`).to.equal(contentType);
      expect(metaStudioHandlerContentType(type!), `handler ${type}`).to.equal(contentType);
    }
  });

  // Seed 003, asset_file_category: "MAIN:主文件", "COVER:封面文件", … "TEMPORARY:临时文件夹", "PACKAGE:打包后的资产文件";
  // "资产类型为IMAGE时,包含MAIN"; "资产类型为VIDEO时,包含MAIN、COVER".
  it('MetaStudio categories: the nine values, and IMAGE → MAIN, VIDEO → MAIN, COVER', () => {
    const documented = ['MAIN', 'COVER', 'PAGE', 'SAMPLE', 'OTHER', 'WHOLE_MODEL', 'USER_MODIFIED_MODEL', 'TEMPORARY', 'PACKAGE'];
    expect([...METASTUDIO_FILE_CATEGORIES]).to.deep.equal(documented);
    expect([...METASTUDIO_HANDLER_FILE_CATEGORIES]).to.deep.equal(documented);
    expect(METASTUDIO_CATEGORIES_BY_ASSET_TYPE.IMAGE).to.deep.equal(['MAIN']);
    expect(METASTUDIO_CATEGORIES_BY_ASSET_TYPE.VIDEO).to.deep.equal(['MAIN', 'COVER']);
  });
});
