import Foundation
import Testing
@testable import AdmissionFormats
@testable import AdmissionServer
@testable import ImageGate

/// Where images are found in admitted objects: the scanner's findings, joined to container names.
struct WorkloadImagesTests {
    static let pinned = "registry.example/app@sha256:87c3f0200da9d05c2077d2b0d29e61dc3239974f1d826cc51c3bc43ae3e414a9"

    func images(_ fixture: String, _ substitutions: [String: String]) throws -> ParsedReview {
        let controller = AdmissionController(decider: RefusingDecider())
        switch controller.parseReview(try Fixtures.body(fixture, substitutions)) {
        case .success(let review): return review
        case .failure(let error): throw error
        }
    }

    @Test func podContainersAndInitContainersWithTheirNames() throws {
        let review = try images("pod", ["IMAGE": "nginx:latest", "INIT_IMAGE": Self.pinned])
        #expect(review.uid == "705ab4f5-6393-11e8-b7cc-42010a800002")
        #expect(review.objectDescription == "Pod default/web")
        let found = try #require(review.images).sorted { $0.pathText < $1.pathText }
        #expect(found.map(\.pathText) == ["spec.containers[0].image", "spec.initContainers[0].image"])
        #expect(found.map(\.container) == ["app", "init"])
        #expect(found.map(\.status) == [.tag, .pinned])
        #expect(found[0].placeDescription == "Container app (spec.containers[0])")
        #expect(found[1].placeDescription == "Init container init (spec.initContainers[0])")
        #expect(YAMLPathStep.jsonPointer(found[0].path) == "/spec/containers/0/image")
    }

    @Test func deploymentTemplateImagesOnlyFromTheNewObject() throws {
        let review = try images("deployment", ["IMAGE": Self.pinned, "SIDECAR_IMAGE": "busybox"])
        let found = try #require(review.images)
        // oldObject's nginx:1.24 is not admitted now and must not be judged.
        #expect(found.map(\.pathText) == ["spec.template.spec.containers[0].image", "spec.template.spec.containers[1].image"])
        #expect(found.map(\.container) == ["nginx", "sidecar"])
        #expect(found.map(\.status) == [.pinned, .implicitLatest])
        #expect(review.objectDescription == "Deployment shop/nginx")
    }

    @Test(arguments: [("cronjob", "spec.jobTemplate.spec.template.spec.containers[0].image", "report"),
                      ("rollout", "spec.template.spec.containers[0].image", "checkout"),
                      ("ephemeral", "spec.ephemeralContainers[0].image", "debugger-x7k2p")])
    func everyWorkloadKind(fixture: String, path: String, container: String) throws {
        let review = try images(fixture, ["IMAGE": Self.pinned, "DEBUG_IMAGE": "busybox:1.36"])
        let found = try #require(review.images)
        let image = try #require(found.first { $0.pathText == path }, "\(found.map(\.pathText))")
        #expect(image.container == container)
    }

    @Test func jsonPointersEscapeKeys() {
        #expect(YAMLPathStep.jsonPointer([.key("a/b"), .key("c~d"), .index(2)]) == "/a~1b/c~0d/2")
    }

    @Test func hostileNestingIsRefused() {
        let deep = String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100)
        let body = #"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","kind":{"kind":"Pod"},"object":"# + deep + "}}"
        let controller = AdmissionController(decider: RefusingDecider())
        guard case .failure(let error) = controller.parseReview(Array(body.utf8)) else {
            Issue.record("a 100-deep object was admitted")
            return
        }
        #expect(error.code == .malformedBody)
    }

    /// The API server's Go decoder keeps the last of two same-named members; a reader that kept the first would
    /// decide another image than the one that runs. A body with a repeated member is refused outright.
    @Test func aContainerWithTwoImageMembersIsRefusedNotReadOneWay() {
        let signed = Self.pinned
        let body = #"{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"u","kind":{"kind":"Pod"},"object":{"kind":"Pod","spec":{"containers":[{"name":"app","image":""# + signed + #"","image":"evil.example/app:latest"}]}}}}"#
        let controller = AdmissionController(decider: RefusingDecider())
        guard case .failure(let error) = controller.parseReview(Array(body.utf8)) else {
            Issue.record("a container with two image members was read one way")
            return
        }
        #expect(error.code == .malformedBody)
        #expect(error.message.contains("duplicate member name \"image\""), "\(error.message)")
    }

    @Test func unknownKindsAreRefusedByName() throws {
        var text = String(decoding: try Fixtures.body("pod", ["IMAGE": Self.pinned, "INIT_IMAGE": Self.pinned]), as: UTF8.self)
        text = text.replacingOccurrences(of: #""kind": "Pod"}"#, with: #""kind": "Widget"}"#)
        let controller = AdmissionController(decider: RefusingDecider())
        guard case .failure(let error) = controller.parseReview(Array(text.utf8)) else {
            Issue.record("a Widget was admitted")
            return
        }
        #expect(error.code == .unsupportedKind)
        #expect(error.message.contains("Widget"))
    }

    @Test(arguments: [("{", AdmissionError.Code.malformedBody), ("[]", .malformedBody), ("{\"kind\":\"AdmissionReview\"}", .unsupportedAPIVersion),
                      ("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1beta1\",\"request\":{\"uid\":\"1\"}}", .unsupportedAPIVersion),
                      ("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"}", .malformedBody),
                      ("{\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\",\"request\":{}}", .malformedBody),
                      ("\"AdmissionReview\"", .malformedBody)])
    func badBodiesAreNamed(body: String, code: AdmissionError.Code) {
        let controller = AdmissionController(decider: RefusingDecider())
        guard case .failure(let error) = controller.parseReview(Array(body.utf8)) else {
            Issue.record("\(body) was accepted")
            return
        }
        #expect(error.code == code, "\(error)")
    }

    @Test func deleteAdmitsWithoutLookingAtImages() throws {
        var text = String(decoding: try Fixtures.body("pod", ["IMAGE": "nginx", "INIT_IMAGE": "nginx"]), as: UTF8.self)
        text = text.replacingOccurrences(of: #""operation": "CREATE""#, with: #""operation": "DELETE""#)
        let controller = AdmissionController(decider: RefusingDecider())
        guard case .success(let review) = controller.parseReview(Array(text.utf8)) else { throw AdmissionError(.malformedBody, "refused") }
        #expect(review.images == nil)
    }
}

/// A decider for tests that must never reach verification: it fails every image, loudly.
struct RefusingDecider: ImageDecider {
    var policyDigest: String { "refusing" }
    func enforcement(for reference: String) -> Enforcement { .enforce }
    func decide(_ reference: String, kind: String?, at time: Date) async -> ImageDecision {
        ImageDecision(decision: .fail, reasons: [.internalError], message: "RefusingDecider was asked about \(reference)")
    }
    func resolveDigest(_ reference: String) async throws -> String {
        throw AdmissionError(.malformedBody, "RefusingDecider cannot resolve")
    }
}
